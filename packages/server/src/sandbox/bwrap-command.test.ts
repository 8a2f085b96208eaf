import { describe, expect, it } from 'vitest';
import { DEFAULT_TOOLS, detonationCommand, WAITER_SCRIPT } from './bwrap-command.js';
import { DEFAULT_LIMITS } from './limits.js';

describe('detonation command', () => {
  const { command, args } = detonationCommand({
    tools: DEFAULT_TOOLS,
    runAs: { uid: 65534, gid: 65534 },
    tracePath: '/dev/shm/w/trace/strace.log',
    worldRoot: '/dev/shm/w/world',
    readOnlyBinds: ['/usr'],
    samplePath: '/sample/x',
    limits: { ...DEFAULT_LIMITS, cpuSeconds: 7 },
  });
  const after = (tool: string) => args.slice(args.indexOf(tool) + 1);

  it('drops to the sandbox user and dies with the server', () => {
    expect(command).toBe('setpriv');
    expect(args.slice(0, args.indexOf('--'))).toEqual([
      '--pdeathsig',
      'KILL',
      '--reuid',
      '65534',
      '--regid',
      '65534',
      '--clear-groups',
    ]);
  });

  it('traces the whole tree into a log outside the sandbox', () => {
    const strace = after('strace');
    expect(strace).toEqual(expect.arrayContaining(['-f', '-ttt', '-yy', '-x', '--pidns-translation']));
    expect(strace[strace.indexOf('-o') + 1]).toBe('/dev/shm/w/trace/strace.log');
    expect(strace[strace.indexOf('-s') + 1]).toBe('4096');
  });

  it('isolates the sample: no network, own namespaces, the world as root, system dirs read-only', () => {
    const bwrap = after('bwrap');
    for (const flag of [
      '--unshare-user',
      '--unshare-net',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
    ]) {
      expect(bwrap).toContain(flag);
    }
    expect(bwrap).toEqual(
      expect.arrayContaining(['--die-with-parent', '--disable-userns', '--new-session', '--clearenv']),
    );
    const bind = bwrap.indexOf('--bind');
    expect(bwrap.slice(bind, bind + 3)).toEqual(['--bind', '/dev/shm/w/world', '/']);
    const ro = bwrap.indexOf('--ro-bind');
    expect(bwrap.slice(ro, ro + 3)).toEqual(['--ro-bind', '/usr', '/usr']);
    expect(bwrap).not.toContain('--share-net');
  });

  it('puts the rlimits on the sample only, after the waiter', () => {
    expect(args.slice(args.indexOf(WAITER_SCRIPT) + 1)).toEqual([
      'quell-waiter',
      '/usr/bin/prlimit',
      '--cpu=7:8',
      `--as=${DEFAULT_LIMITS.addressSpaceBytes}`,
      `--nproc=${DEFAULT_LIMITS.maxProcesses}`,
      `--fsize=${DEFAULT_LIMITS.maxFileBytes}`,
      `--nofile=${DEFAULT_LIMITS.maxOpenFiles}`,
      '--core=0',
      '--',
      '/sample/x',
    ]);
  });
});
