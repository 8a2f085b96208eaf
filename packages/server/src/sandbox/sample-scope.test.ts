import { describe, expect, it } from 'vitest';
import { parseStrace } from './strace-parser.js';
import { scopeToSample } from './sample-scope.js';

const trace = (...lines: string[]) => parseStrace(lines.join('\n'));

describe('sample scope', () => {
  const setup = [
    '1 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 2',
    '2 1.1 execve("/usr/bin/bash", ["bash", "-c", "…"], 0x1 /* 1 var */) = 0',
    "2 1.2 clone(child_stack=NULL, flags=SIGCHLD) = 3 /* 30 in strace's PID NS */",
    '30 1.3 openat(AT_FDCWD</root>, "/dev/null", O_RDONLY) = 3</dev/null>',
  ];

  it('starts at the sample’s exec and follows its children only', () => {
    const scope = scopeToSample(
      trace(
        ...setup,
        '30 1.4 execve("/usr/bin/prlimit", ["prlimit", "--", "/sample/x"], 0x1 /* 1 var */) = 0',
        '30 1.5 execve("/sample/x", ["/sample/x"], 0x1 /* 1 var */) = 0',
        "30 1.6 clone(child_stack=NULL, flags=SIGCHLD) = 4 /* 31 in strace's PID NS */",
        '31 1.7 openat(AT_FDCWD</root>, "/tmp/a", O_WRONLY|O_CREAT, 0666) = 3</tmp/a>',
        '2 1.8 openat(AT_FDCWD</root>, "/proc/", O_RDONLY|O_DIRECTORY) = 3</proc>',
      ),
      '/sample/x',
    );
    expect(scope).toMatchObject({ rootPid: 30, startTs: 1.5, execError: null, shellFallback: false });
    expect(scope.events.map((e) => `${e.pid} ${e.type}`)).toEqual(['30 exec', '30 spawn', '31 open']);
  });

  it('counts the shell retry of a script without #! as the start', () => {
    const scope = scopeToSample(
      trace(
        '30 1.5 execve("/sample/x", ["/sample/x"], 0x1 /* 1 var */) = -1 ENOEXEC (Exec format error)',
        '30 1.6 execve("/bin/sh", ["/bin/sh", "/sample/x"], 0x1 /* 1 var */) = 0',
      ),
      '/sample/x',
    );
    expect(scope).toMatchObject({ rootPid: 30, startTs: 1.6, shellFallback: true, execError: null });
  });

  it('says why a sample never ran', () => {
    expect(
      scopeToSample(
        trace('30 1.5 execve("/sample/x", ["/sample/x"], 0x1 /* 1 var */) = -1 EACCES (Permission denied)'),
        '/sample/x',
      ),
    ).toMatchObject({ rootPid: 30, startTs: null, execError: 'EACCES', events: [] });
    expect(scopeToSample(trace(...setup), '/sample/x')).toMatchObject({
      rootPid: null,
      execError: 'not started',
    });
  });
});
