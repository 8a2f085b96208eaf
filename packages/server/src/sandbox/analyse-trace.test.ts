import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyseTrace } from './analyse-trace.js';
import { parseStrace } from './strace-parser.js';
import { scoreBehaviours } from './verdict.js';

/** A recorded trace from packages/server/test/fixtures/sandbox (see its README). */
const fixture = (name: string) =>
  parseStrace(readFileSync(new URL(`../../test/fixtures/sandbox/${name}.strace`, import.meta.url), 'utf8'));

describe('analysis of a recorded dropper script', () => {
  const a = analyseTrace(fixture('dropper'), '/sample/dropper.sh', []);

  it('keeps the sample’s process tree and leaves the sandbox’s own processes out', () => {
    expect(a.processes.map((p) => [p.pid, p.ppid, p.executable, p.exitCode])).toEqual([
      [25323, null, '/sample/dropper.sh', 3],
      [25324, 25323, '/usr/bin/mkdir', 0],
      [25326, 25323, '/usr/bin/touch', 0],
      [25330, 25323, '/usr/bin/bash', 1],
      [25331, 25323, '/usr/bin/getent', 2],
      [25332, 25323, '/sample/dropper.sh', 0],
      [25333, 25323, '/usr/bin/sh', 0],
      [25334, 25332, '/usr/bin/sleep', 0],
    ]);
    expect(a.processes[5]?.argv).toEqual(['/sample/dropper.sh']);
    expect(a.processes.every((p) => p.startMs >= 0 && p.startMs < 1000)).toBe(true);
  });

  it('reports the C2 attempt and the host names looked up through the loopback resolver', () => {
    expect(a.network).toContainEqual({
      pid: 25330,
      family: 'ipv4',
      address: '203.0.113.7',
      port: 4444,
      protocol: 'tcp',
      result: 'unreachable',
      errno: 'ENETUNREACH',
      count: 1,
    });
    expect(a.dns.map((q) => `${q.type} ${q.name} ${q.server} ${q.count}`)).toEqual([
      'AAAA update.evil.example 127.0.0.53:53 2',
      'AAAA update.evil.example.corp.example 127.0.0.53:53 2',
      'A update.evil.example 127.0.0.53:53 2',
      'A update.evil.example.corp.example 127.0.0.53:53 2',
    ]);
  });

  it('maps what it did to ATT&CK', () => {
    expect(a.behaviours.map((b) => [b.id, b.techniqueId])).toEqual([
      ['cron_persistence', 'T1053.003'],
      ['network_non_app_protocol', 'T1095'],
      ['dns_lookup', 'T1071.004'],
    ]);
    expect(a.behaviours[0]?.evidence).toEqual([
      'pid 25323 (/sample/dropper.sh): openat(AT_FDCWD</tmp/stage>, "/etc/crontab", O_WRONLY|O_CREAT|O_APPEND, 0666) = 3</etc/crontab>',
    ]);
    expect(scoreBehaviours(a.behaviours)).toEqual({ score: 78, verdict: 'malicious' });
  });
});

describe('analysis of a recorded ELF implant killed by the timeout', () => {
  const a = analyseTrace(fixture('implant'), '/sample/implant', []);

  it('maps what it did to ATT&CK', () => {
    expect(a.behaviours.map((b) => b.techniqueId)).toEqual([
      'T1003.008',
      'T1552.004',
      'T1548.001',
      'T1055.008',
      'T1070.004',
      'T1497.003',
      'T1095',
      'T1071.004',
    ]);
    expect(a.behaviours.find((b) => b.id === 'network_non_app_protocol')?.evidence).toEqual([
      'pid 25877: udp 198.51.100.9:9999 unreachable',
      'pid 25877 (/sample/implant): socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) = -1 EPERM (Operation not permitted)',
    ]);
  });

  it('shows the sample killed and its child finished', () => {
    expect(a.processes.map((p) => [p.executable, p.argv, p.exitCode, p.signal])).toEqual([
      ['/sample/implant', ['/sample/implant'], null, 'SIGKILL'],
      ['/usr/bin/true', ['true', '--child'], 0, null],
    ]);
  });

  it('reads both questions of one sendmmsg', () => {
    expect(a.dns.map((q) => `${q.type} ${q.name}`)).toEqual(['A c2.evil.example', 'AAAA c2.evil.example']);
  });
});
