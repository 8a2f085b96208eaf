import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configProblems, withDefaults } from '../src/config/agent-config.js';
import { createDnsSettings, DEFAULT_DNS_FILTER_UID } from '../src/indicators/dns/dns-settings.js';
import { silentLogger } from '../src/log.js';

// The agent config's `dns` keys: validated with every problem named, defaults filled in, and
// turned into the filter's settings (uid from the quell-dns account, upstreams from resolv.conf).
const base = { serverUrl: 'https://q.example:8443', certSha256: 'a'.repeat(64) };
const dir = mkdtempSync(join(tmpdir(), 'quell-dns-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agent config: dns', () => {
  it('names every bad dns key at once', () => {
    const problems = configProblems({
      ...base,
      dns: { enabled: 'yes', blockMode: 'drop', filterUid: 0, upstreams: [], port: 70_000, extra: 1 },
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      '/dns/blockMode',
      '/dns/enabled',
      '/dns/extra',
      '/dns/filterUid',
      '/dns/port',
      '/dns/upstreams',
    ]);
  });

  it('defaults to enforcing, NXDOMAIN, discovered upstreams and uid', () => {
    expect(withDefaults(base).dns).toEqual({
      enabled: true,
      upstreams: null,
      filterUid: null,
      blockMode: 'nxdomain',
      port: null,
    });
  });

  it('takes the quell-dns account uid, else the fixed default; nameservers from the root resolv.conf', async () => {
    const root = join(dir, 'root');
    writeFileSync(
      join(dir, 'passwd'),
      'root:x:0:0::/root:/bin/sh\nquell-dns:x:997:997::/:/usr/sbin/nologin\n',
    );
    writeFileSync(join(dir, 'passwd-none'), 'root:x:0:0::/root:/bin/sh\n');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/resolv.conf'), 'nameserver 127.0.0.53\nnameserver 192.0.2.53\n');
    const config = withDefaults({ ...base, fsRoot: root });
    const opts = { config, log: silentLogger, onProblem: () => undefined };
    const withAccount = await createDnsSettings({ ...opts, passwdPath: join(dir, 'passwd') });
    expect(withAccount?.uid).toBe(997);
    expect(withAccount?.upstreams()).toEqual([{ address: '192.0.2.53', port: 53 }]);
    const without = await createDnsSettings({ ...opts, passwdPath: join(dir, 'passwd-none') });
    expect(without?.uid).toBe(DEFAULT_DNS_FILTER_UID);
    const configured = withDefaults({
      ...base,
      dns: { filterUid: 4242, upstreams: [{ address: '198.51.100.1', port: 5353 }], blockMode: 'sinkhole' },
    });
    const set = await createDnsSettings({ ...opts, config: configured, passwdPath: join(dir, 'passwd') });
    expect(set).toMatchObject({ uid: 4242, blockMode: 'sinkhole' });
    expect(set?.upstreams()).toEqual([{ address: '198.51.100.1', port: 5353 }]);
    const off = withDefaults({ ...base, dns: { enabled: false } });
    expect(await createDnsSettings({ ...opts, config: off })).toBeNull();
  });
});
