import { entityKey } from '@quell/core';
import { createRandom } from './prng.mjs';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Categories with the titles and ATT&CK techniques a detection of that kind carries. */
const CATEGORIES = [
  [
    'Execution',
    ['Suspicious process launched from /tmp', 'Encoded shell command executed'],
    ['T1059.004', 'T1204.002'],
  ],
  [
    'CredentialAccess',
    ['Credential dumping from /etc/shadow', 'Brute force against SSH'],
    ['T1003.008', 'T1110.001'],
  ],
  ['LateralMovement', ['Lateral movement over SSH with stolen credentials'], ['T1021.004']],
  [
    'Persistence',
    ['New systemd unit created by an unusual process', 'Cron job added for a hidden binary'],
    ['T1543.002', 'T1053.003'],
  ],
  [
    'CommandAndControl',
    ['Beaconing to a rare external host', 'DNS tunnelling pattern'],
    ['T1071.001', 'T1071.004'],
  ],
  ['Ransomware', ['Ransomware behaviour: mass file encryption'], ['T1486']],
  [
    'InitialAccess',
    ['Phishing mail with a malicious link clicked', 'Exploit of a public-facing service'],
    ['T1566.002', 'T1190'],
  ],
  ['Exfiltration', ['Large upload to a cloud storage domain'], ['T1567.002']],
  [
    'DefenseEvasion',
    ['Audit logging disabled', 'Binary deleted after execution'],
    ['T1562.012', 'T1070.004'],
  ],
  ['Discovery', ['Network scan from a workstation'], ['T1046']],
];
const SEVERITY_WEIGHTS = [
  ['informational', 10],
  ['low', 25],
  ['medium', 40],
  ['high', 25],
];
const SOURCES = ['quell-agent', 'sigma', 'wazuh', 'suricata', 'edr'];
const PROCESS_NAMES = ['python3', 'bash', 'curl', 'wget', 'nc', 'perl', 'sshd', 'xmrig', 'socat', 'node'];
const FILE_DIRS = ['/tmp/', '/var/tmp/', '/dev/shm/', '/home/', '/srv/share/', '/opt/'];

/**
 * Builds the fleet the alerts speak about: devices (workstations and servers, with OS, tags and
 * an internal IP) and directory users. Deterministic for a seed.
 */
export function createFleet(seed, { devices = 2000, users = 5000 } = {}) {
  const rnd = createRandom(seed);
  const fleet = { devices: [], users: [] };
  for (let i = 1; i <= devices; i++) {
    const server = rnd.chance(0.15);
    const host = `${server ? 'srv' : 'ws'}-${String(i).padStart(4, '0')}.corp.example`;
    fleet.devices.push({
      kind: 'device',
      hostname: host,
      os: server
        ? rnd.pick(['Debian 12', 'Ubuntu 22.04', 'RHEL 9'])
        : rnd.pick(['Ubuntu 24.04', 'Debian 12', 'Fedora 40']),
      ip: `10.${20 + (i >> 12)}.${(i >> 8) & 15}.${i & 255}`,
      tags: server ? ['servers', ...(rnd.chance(0.3) ? ['finance'] : [])] : ['workstations'],
    });
  }
  for (let i = 1; i <= users; i++) {
    const username = `user${String(i).padStart(4, '0')}`;
    fleet.users.push({ kind: 'user', username, domain: 'CORP', email: `${username}@corp.example` });
  }
  return fleet;
}

/**
 * An endless, deterministic stream of realistic alerts in time order.
 *
 * About `followUp` of the alerts continue a recent story: they reuse the device (and sometimes
 * another entity) of an alert from the last hours, so correlation should join them to its
 * incident. The rest start a new story on entities nobody touched for days, so they should open
 * a new incident. `late` of the follow-ups arrive 26–48 h after the activity they report, beyond
 * the 24 h correlation window. A small share are re-sends of a recent alert id (at-least-once
 * sources), answered as duplicates.
 */
export function createAlertStream(
  seed,
  fleet,
  {
    start,
    gapMs = 100_000,
    followUp = 0.62,
    late = 0.04,
    resend = 0.005,
    recent = 300,
    coldMs = 3 * DAY,
  } = {},
) {
  const rnd = createRandom(seed);
  const lastUsed = new Map();
  const ring = [];
  let t = start;
  let seq = 0;

  const cold = (entity) => {
    const at = lastUsed.get(entityKey(entity));
    return at === undefined || at < t - coldMs;
  };
  const pickCold = (list) => {
    let e = rnd.pick(list);
    for (let i = 0; i < 20 && !cold(e); i++) e = rnd.pick(list);
    return e;
  };
  const sha256 = () => rnd.hex(64);
  const externalIp = () => `${rnd.int(11, 223)}.${rnd.int(0, 255)}.${rnd.int(0, 255)}.${rnd.int(1, 254)}`;
  const freshEntity = (device, user) => {
    const kind = rnd.weighted([
      ['file', 30],
      ['process', 25],
      ['ip', 20],
      ['domain', 10],
      ['url', 8],
      ['mailbox', 7],
    ]);
    switch (kind) {
      case 'file': {
        const name = `${rnd.pick(['update', 'invoice', 'svc', 'kworker', 'lib'])}${rnd.int(1, 999)}.${rnd.pick(['elf', 'sh', 'so', 'py'])}`;
        return {
          kind,
          name,
          path: `${rnd.pick(FILE_DIRS)}${name}`,
          sha256: sha256(),
          size: rnd.int(1_000, 9_000_000),
        };
      }
      case 'process':
        return {
          kind,
          pid: rnd.int(300, 4_000_000),
          name: rnd.pick(PROCESS_NAMES),
          commandLine: `${rnd.pick(PROCESS_NAMES)} -c ${rnd.hex(12)}`,
          deviceHostname: device?.hostname ?? 'unknown',
        };
      case 'ip':
        return { kind, address: externalIp() };
      case 'domain':
        return { kind, name: `${rnd.hex(8)}.${rnd.pick(['xyz', 'top', 'ru', 'io', 'com'])}` };
      case 'url':
        return { kind, url: `http://${externalIp()}/${rnd.hex(6)}.bin` };
      default:
        return { kind: 'mailbox', address: (user ?? pickCold(fleet.users)).email, displayName: 'Mailbox' };
    }
  };

  const build = (entities, at) => {
    const [category, titles, techniques] = rnd.pick(CATEGORIES);
    seq += 1;
    return {
      id: `bench-${seed}-${seq}`,
      title: rnd.pick(titles),
      description: `Synthetic alert ${seq} for the ingestion benchmark.`,
      severity: rnd.weighted(SEVERITY_WEIGHTS),
      category,
      detectionSource: rnd.pick(SOURCES),
      mitreTechniques: [rnd.pick(techniques)],
      firstActivityAt: new Date(at).toISOString(),
      lastActivityAt: new Date(at + rnd.int(0, 10 * 60_000)).toISOString(),
      entities,
    };
  };

  return {
    next() {
      t += rnd.exp(gapMs);
      if (ring.length > 0 && rnd.chance(resend)) return rnd.pick(ring).alert;
      const size = rnd.int(2, 5);
      let entities;
      let at = t;
      if (ring.length > 0 && rnd.chance(followUp)) {
        const prior = rnd.pick(ring);
        const device = prior.entities.find((e) => e.kind === 'device');
        const user = prior.entities.find((e) => e.kind === 'user');
        const others = prior.entities.filter((e) => e.kind !== 'device');
        entities = device ? [device] : [rnd.pick(prior.entities)];
        if (others.length > 0 && rnd.chance(0.4)) entities.push(rnd.pick(others));
        while (entities.length < size) entities.push(freshEntity(device, user));
        if (rnd.chance(late)) at = t - rnd.int(26 * HOUR, 48 * HOUR);
      } else {
        const device = rnd.chance(0.92) ? pickCold(fleet.devices) : undefined;
        const user = rnd.chance(0.6) ? pickCold(fleet.users) : undefined;
        entities = [device, user].filter(Boolean);
        while (entities.length < size) entities.push(freshEntity(device, user));
      }
      for (const e of entities) lastUsed.set(entityKey(e), t);
      const alert = build(entities, at);
      ring.push({ alert, entities });
      if (ring.length > recent) ring.shift();
      return alert;
    },
    take(n) {
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = this.next();
      return out;
    },
  };
}
