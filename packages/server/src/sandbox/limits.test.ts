import { InputError } from '@quell/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, resolveLimits, resolveTimeout } from './limits.js';
import { limitsHitInTrace } from './limits-hit.js';
import { parseStrace } from './strace-parser.js';
import { scopeToSample } from './sample-scope.js';

describe('sandbox limits', () => {
  it('fills defaults and keeps what is given', () => {
    expect(resolveLimits({ cpuSeconds: 5 })).toEqual({ ...DEFAULT_LIMITS, cpuSeconds: 5 });
  });

  it('reports every bad limit at once', () => {
    let error: unknown;
    try {
      resolveLimits({ cpuSeconds: 0, maxProcesses: 1.5, bogus: 1 } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/cpuSeconds.*maxProcesses.*bogus/);
  });

  it.each([
    [undefined, 60_000],
    [1_000, 1_000],
    [600_000, 600_000],
  ])('accepts the timeout %s as %i ms', (given, expected) => {
    expect(resolveTimeout(given)).toBe(expected);
  });

  it.each([[999], [600_001], [1.5]])('refuses the timeout %s', (given) => {
    expect(() => resolveTimeout(given)).toThrow(InputError);
  });

  it('finds the rlimits a sample ran into in its trace', () => {
    const events = parseStrace(
      [
        '30 1.0 execve("/sample/x", ["/sample/x"], 0x1 /* 1 var */) = 0',
        '30 1.1 clone(child_stack=NULL, flags=SIGCHLD) = -1 EAGAIN (Resource temporarily unavailable)',
        '30 1.2 mmap(NULL, 2147483648, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)',
        '30 1.3 openat(AT_FDCWD</root>, "/tmp/f", O_RDONLY) = -1 EMFILE (Too many open files)',
        '30 1.4 --- SIGXFSZ {si_signo=SIGXFSZ, si_code=SI_USER} ---',
        '30 1.5 --- SIGXCPU {si_signo=SIGXCPU, si_code=SI_KERNEL} ---',
        '30 1.6 +++ killed by SIGXCPU (core dumped) +++',
      ].join('\n'),
    );
    const hits = limitsHitInTrace(scopeToSample(events, '/sample/x'));
    expect(hits.map((h) => h.limit)).toEqual([
      'processes',
      'address_space',
      'open_files',
      'file_size',
      'cpu_seconds',
    ]);
    expect(hits[0]?.detail).toMatch(/^pid 30: clone\(/);
  });
});
