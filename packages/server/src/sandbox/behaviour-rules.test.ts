import { describe, expect, it } from 'vitest';
import { detectBehaviours, type RuleInput } from './behaviour-rules.js';
import type { FileRecord, NetworkAttempt } from './report.schema.js';
import type { TraceEvent } from './trace-events.js';

/** An event without its bookkeeping; `ok` and `errno` may be given to make it a failed call. */
type Body = (TraceEvent extends infer E
  ? E extends unknown
    ? Omit<E, 'pid' | 'ts' | 'ok' | 'errno' | 'raw'>
    : never
  : never) &
  Partial<Pick<TraceEvent, 'ok' | 'errno'>>;

/** A sample whose process 100 ran `/sample/x` and then did `bodies`. */
function input(bodies: Body[], extra: Partial<RuleInput> = {}): RuleInput {
  const events = [{ type: 'exec', path: '/sample/x', argv: ['/sample/x'] } as Body, ...bodies].map(
    (b, i) =>
      ({ pid: 100, ts: 1 + i / 1000, ok: true, errno: null, raw: `${b.type} #${i}`, ...b }) as TraceEvent,
  );
  return {
    scope: { rootPid: 100, startTs: 1, execError: null, shellFallback: false, events },
    files: [],
    network: [],
    dns: [],
    ...extra,
  };
}

const write = (path: string): Body => ({
  type: 'open',
  path,
  realPath: path,
  write: true,
  create: true,
  flags: ['O_WRONLY', 'O_CREAT'],
});
const read = (path: string): Body => ({
  type: 'open',
  path,
  realPath: path,
  write: false,
  create: false,
  flags: ['O_RDONLY'],
});
const exec = (path: string, argv: string[]): Body => ({ type: 'exec', path, argv });
const ids = (i: RuleInput, opts = {}) => detectBehaviours(i, opts).map((b) => b.techniqueId);

describe('behaviour rules', () => {
  it.each([
    ['/etc/crontab', 'T1053.003'],
    ['/etc/cron.d/update', 'T1053.003'],
    ['/etc/cron.daily/update', 'T1053.003'],
    ['/var/spool/cron/crontabs/root', 'T1053.003'],
    ['/etc/systemd/system/upd.service', 'T1543.002'],
    ['/etc/systemd/system/multi-user.target.wants/upd.service', 'T1543.002'],
    ['/root/.config/systemd/user/agent.service', 'T1543.002'],
    ['/etc/systemd/system/upd.timer', 'T1053.006'],
    ['/root/.bashrc', 'T1546.004'],
    ['/home/user/.profile', 'T1546.004'],
    ['/etc/profile.d/zz.sh', 'T1546.004'],
    ['/etc/ld.so.preload', 'T1574.006'],
    ['/root/.ssh/authorized_keys', 'T1098.004'],
    ['/home/user/.ssh/authorized_keys2', 'T1098.004'],
    ['/etc/sudoers', 'T1548.003'],
    ['/etc/sudoers.d/90-user', 'T1548.003'],
  ])('maps a write to %s to %s', (path, technique) => {
    expect(ids(input([write(path)]))).toEqual([technique]);
  });

  it.each([['/tmp/crontab'], ['/etc/cron.d'], ['/root/.bashrc.bak'], ['/etc/systemd/system/upd.conf']])(
    'ignores a write to %s',
    (path) => {
      expect(ids(input([write(path)]))).toEqual([]);
    },
  );

  it('finds persistence the trace missed in the file changes', () => {
    const files: FileRecord[] = [
      {
        path: '/etc/cron.d/x',
        change: 'created',
        type: 'file',
        size: 1,
        sha256: null,
        artifact: null,
        linkTarget: null,
      },
      {
        path: '/root/.bashrc',
        change: 'deleted',
        type: 'file',
        size: null,
        sha256: null,
        artifact: null,
        linkTarget: null,
      },
    ];
    expect(detectBehaviours(input([], { files }))).toEqual([
      expect.objectContaining({ techniqueId: 'T1053.003', evidence: ['created /etc/cron.d/x'] }),
    ]);
  });

  it.each([
    ['/etc/shadow', 'T1003.008'],
    ['/etc/gshadow', 'T1003.008'],
    ['/root/.ssh/id_rsa', 'T1552.004'],
    ['/home/user/.ssh/id_ed25519', 'T1552.004'],
    ['/etc/ssh/ssh_host_ed25519_key', 'T1552.004'],
  ])('maps reading %s to %s', (path, technique) => {
    expect(ids(input([read(path)]))).toEqual([technique]);
  });

  it('does not count public keys or the password list as credential access', () => {
    expect(ids(input([read('/root/.ssh/id_rsa.pub'), read('/etc/passwd')]))).toEqual([]);
  });

  it('follows a symlink the sample planted to the shadow file', () => {
    const open: Body = {
      ...(read('/tmp/innocent') as Extract<Body, { type: 'open' }>),
      realPath: '/etc/shadow',
    };
    expect(ids(input([open]))).toEqual(['T1003.008']);
  });

  it.each([
    [{ type: 'setid', call: 'setreuid', ids: [0, 0] } as Body, 'T1548.001'],
    [{ type: 'chmod', path: '/tmp/sh', mode: 0o4755 } as Body, 'T1548.001'],
    [exec('/usr/bin/sudo', ['sudo', 'id']), 'T1548.003'],
    [exec('/usr/bin/su', ['su', '-c', 'id']), 'T1548.003'],
    [{ type: 'ptrace', request: 'PTRACE_POKEDATA', target: 7 } as Body, 'T1055.008'],
    [{ type: 'unlink', path: '/sample/x', directory: false } as Body, 'T1070.004'],
    [exec('/usr/bin/crontab', ['crontab', '/tmp/c']), 'T1053.003'],
    [exec('/usr/bin/systemctl', ['systemctl', 'enable', 'upd']), 'T1543.002'],
    [
      {
        type: 'socket',
        domain: 'AF_INET',
        socketType: 'SOCK_RAW',
        protocol: 'IPPROTO_ICMP',
        inode: null,
      } as Body,
      'T1095',
    ],
  ])('maps %j to %s', (body, technique) => {
    expect(ids(input([body]))).toEqual([technique]);
  });

  it.each([
    [{ type: 'chmod', path: '/tmp/x', mode: 0o755 } as Body],
    [{ type: 'ptrace', request: 'PTRACE_TRACEME', target: 0 } as Body],
    [{ type: 'unlink', path: '/tmp/other', directory: false } as Body],
    [exec('/usr/bin/crontab', ['crontab', '-l'])],
    [{ ...exec('/usr/local/bin/sudo', ['sudo']), ok: false, errno: 'ENOENT' }],
  ])('ignores %j', (body) => {
    expect(ids(input([body]))).toEqual([]);
  });

  it('counts mass file changes from the threshold on', () => {
    const files = (n: number) => Array.from({ length: n }, (_, i) => write(`/home/user/doc${i}.locked`));
    expect(ids(input(files(49)))).toEqual([]);
    expect(ids(input(files(50)))).toEqual(['T1486']);
    expect(ids(input(files(10)), { massChangeThreshold: 10 })).toEqual(['T1486']);
  });

  it('counts a sleep from the threshold on', () => {
    const sleep = (ms: number): Body => ({ type: 'sleep', call: 'nanosleep', ms });
    expect(ids(input([sleep(29_999)]))).toEqual([]);
    expect(ids(input([sleep(30_000)]))).toEqual(['T1497.003']);
  });

  it('tells application-protocol ports from others and ignores the loopback', () => {
    const attempt = (
      address: string,
      port: number,
      protocol: NetworkAttempt['protocol'] = 'tcp',
    ): NetworkAttempt => ({
      pid: 100,
      family: 'ipv4',
      address,
      port,
      protocol,
      result: 'unreachable',
      errno: 'ENETUNREACH',
      count: 1,
    });
    const network = [attempt('198.51.100.1', 443), attempt('198.51.100.2', 4444), attempt('127.0.0.1', 4444)];
    const b = detectBehaviours(input([], { network }));
    expect(b.map((x) => [x.techniqueId, x.evidence])).toEqual([
      ['T1071', ['pid 100: tcp 198.51.100.1:443 unreachable']],
      ['T1095', ['pid 100: tcp 198.51.100.2:4444 unreachable']],
    ]);
  });

  it('keeps ten lines of evidence and counts the rest', () => {
    const reads = Array.from({ length: 13 }, () => read('/etc/shadow'));
    const evidence = detectBehaviours(input(reads))[0]?.evidence ?? [];
    expect(evidence).toHaveLength(11);
    expect(evidence[10]).toBe('… and 3 more');
  });
});
