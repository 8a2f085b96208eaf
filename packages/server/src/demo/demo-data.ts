import type { ActionRequest, AlertInput } from '@quell/contracts';

const MIN = 60_000;

/**
 * A small, realistic picture of a bad morning: ransomware staging on a file server, a phished
 * mailbox with a forwarding rule, and a lone commodity miner. Deterministic for a given `now`.
 */
export function demoAlerts(now: Date): AlertInput[] {
  const t = (minsAgo: number) => new Date(now.getTime() - minsAgo * MIN).toISOString();
  const fs01 = {
    kind: 'device' as const,
    hostname: 'fs01.corp.example',
    os: 'Debian 12',
    ip: '10.20.0.11',
    tags: ['servers', 'finance'],
  };
  const ws17 = {
    kind: 'device' as const,
    hostname: 'ws17.corp.example',
    os: 'Ubuntu 24.04',
    ip: '10.20.4.17',
    tags: ['workstations'],
  };
  const jdoe = { kind: 'user' as const, username: 'jdoe', domain: 'CORP', email: 'jdoe@corp.example' };
  const locker = {
    kind: 'file' as const,
    name: 'lockbit.elf',
    path: '/tmp/.cache/lockbit.elf',
    sha256: 'a3f1c9e2b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081',
  };
  return [
    {
      id: 'demo-001',
      title: 'Suspicious download of an ELF binary to a temporary folder',
      severity: 'medium',
      category: 'Execution',
      detectionSource: 'quell-agent',
      mitreTechniques: ['T1105'],
      firstActivityAt: t(95),
      entities: [
        ws17,
        jdoe,
        locker,
        { kind: 'url', url: 'http://198.51.100.23/lockbit.elf' },
        { kind: 'ip', address: '198.51.100.23' },
      ],
    },
    {
      id: 'demo-002',
      title: 'Credential dumping from /etc/shadow',
      severity: 'high',
      category: 'CredentialAccess',
      detectionSource: 'sigma',
      mitreTechniques: ['T1003.008'],
      firstActivityAt: t(80),
      entities: [
        ws17,
        jdoe,
        {
          kind: 'process',
          pid: 4242,
          name: 'python3',
          commandLine: 'python3 -c import crypt…',
          deviceHostname: 'ws17.corp.example',
        },
      ],
    },
    {
      id: 'demo-003',
      title: 'Lateral movement over SSH with stolen credentials',
      severity: 'high',
      category: 'LateralMovement',
      detectionSource: 'quell-agent',
      mitreTechniques: ['T1021.004'],
      firstActivityAt: t(60),
      entities: [fs01, ws17, jdoe],
    },
    {
      id: 'demo-004',
      title: 'Ransomware behaviour: mass file encryption',
      description: 'More than 2,000 files renamed to *.lockbit within 60 seconds under /srv/finance.',
      severity: 'high',
      category: 'Ransomware',
      detectionSource: 'quell-agent',
      mitreTechniques: ['T1486'],
      firstActivityAt: t(40),
      entities: [
        fs01,
        locker,
        {
          kind: 'process',
          pid: 9001,
          name: 'lockbit.elf',
          sha256: locker.sha256,
          deviceHostname: 'fs01.corp.example',
        },
      ],
    },
    {
      id: 'demo-101',
      title: 'Sign-in from an adversary-in-the-middle phishing proxy',
      severity: 'high',
      category: 'InitialAccess',
      detectionSource: 'dovecot-auth',
      mitreTechniques: ['T1557', 'T1566.002'],
      firstActivityAt: t(150),
      entities: [
        { kind: 'user', username: 'mlopez', domain: 'CORP', email: 'mlopez@corp.example' },
        { kind: 'mailbox', address: 'mlopez@corp.example' },
        { kind: 'ip', address: '203.0.113.77' },
        { kind: 'domain', name: 'login-corp-example.top' },
      ],
    },
    {
      id: 'demo-102',
      title: 'Inbox rule forwards finance mail to an external address',
      severity: 'medium',
      category: 'Collection',
      detectionSource: 'dovecot-sieve',
      mitreTechniques: ['T1114.003'],
      firstActivityAt: t(140),
      entities: [{ kind: 'mailbox', address: 'mlopez@corp.example' }],
    },
    {
      id: 'demo-201',
      title: 'Cryptocurrency miner started',
      severity: 'low',
      category: 'Impact',
      detectionSource: 'clamav',
      mitreTechniques: ['T1496'],
      firstActivityAt: t(30),
      entities: [
        { kind: 'device', hostname: 'build07.corp.example', os: 'Debian 12', tags: ['ci'] },
        {
          kind: 'file',
          name: 'xmrig',
          path: '/var/tmp/xmrig',
          sha256: '5f2b9c1d3e4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344',
        },
      ],
    },
  ];
}

/** Actions an analyst would have asked for by now; incidents are linked by the seeding code. */
export function demoActions(): Array<ActionRequest & { forAlert: string }> {
  return [
    {
      forAlert: 'demo-004',
      type: 'isolate_device',
      target: { kind: 'device', id: 'fs01.corp.example' },
      comment: 'Ransomware spreading from fs01',
    },
    {
      forAlert: 'demo-004',
      type: 'stop_and_quarantine_file',
      target: {
        kind: 'file',
        id: 'a3f1c9e2b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081',
        deviceHostname: 'fs01.corp.example',
      },
      params: {
        sha256: 'a3f1c9e2b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081',
        path: '/tmp/.cache/lockbit.elf',
      },
      comment: 'Locker binary',
    },
    {
      forAlert: 'demo-002',
      type: 'collect_investigation_package',
      target: { kind: 'device', id: 'ws17.corp.example' },
    },
    {
      forAlert: 'demo-101',
      type: 'disable_user',
      target: { kind: 'identity', id: 'CORP\\mlopez' },
      comment: 'AiTM session theft',
    },
    {
      forAlert: 'demo-102',
      type: 'disable_inbox_rule',
      target: { kind: 'mailbox', id: 'mlopez@corp.example' },
      params: { ruleName: 'fwd-finance' },
      comment: 'Forwarding to attacker',
    },
    {
      forAlert: 'demo-201',
      type: 'add_indicator',
      target: { kind: 'indicator', id: '5f2b9c1d3e4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344' },
      params: {
        type: 'sha256',
        value: '5f2b9c1d3e4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344',
        action: 'block',
      },
    },
  ];
}
