import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFrom, type LookupResult } from './support/dns-client.js';
import { startDnsTestServer, type DnsTestServer } from './support/dns-test-server.js';
import { createStack, e2eMissing, eventually, sleep, type Stack } from './support/e2e-stack.js';

/**
 * Domain and URL indicators enforced by a real agent: the device (`dev`) asks a real DNS server
 * in `peer`; the agent's filter answers blocked names NXDOMAIN within 5 s of the indicator's
 * creation and lets other names through; removal restores them. The filter fails open: a killed
 * agent leaves resolution working, and a filter that cannot start is a device issue, not a
 * broken resolver.
 */
const missing = e2eMissing();
const ANSWER = '203.0.113.7';

describe.skipIf(missing.length)('e2e: domain and URL indicators on a real agent', () => {
  let s: Stack;
  let dns: DnsTestServer;
  let filterPort: number;
  beforeAll(async () => {
    s = await createStack();
    dns = await startDnsTestServer(s.lab, 'peer', ANSWER);
    // The device namespace is the lab's own: any fixed port is free there.
    filterPort = 15_353;
    s.agent.patchConfig({ dns: { upstreams: [{ address: s.lab.ip('peer'), port: 53 }], port: filterPort } });
    await restartAgent();
  });
  afterAll(async () => {
    await dns?.close();
    await s?.close();
  });

  async function restartAgent(): Promise<void> {
    await s.agent.stop('SIGTERM');
    s.agent.start();
    await s.waitOnline(20_000);
  }
  /** An application's lookup on the device, sent to the peer's resolver as resolv.conf would. */
  const resolve = (name: string): Promise<LookupResult> => resolveFrom(s.lab, 'dev', s.lab.ip('peer'), name);
  const resolves = (r: LookupResult) => 'addresses' in r && r.addresses[0] === ANSWER;
  const refused = (r: LookupResult) => 'error' in r && r.error === 'ENOTFOUND';
  const addIndicator = (type: string, value: string) =>
    s.server.ok('POST', '/api/indicators', { type, value, action: 'block', title: `e2e ${value}` });

  it('blocks a domain and its subdomains within 5 s, leaves other names alone, and removal restores it', async () => {
    expect(await resolve('evil.test')).toEqual({ addresses: [ANSWER] });
    const started = Date.now();
    const created = await addIndicator('domain', 'evil.test');
    expect(created.outcome).toBe('applied');
    await eventually(() => resolve('evil.test'), refused, 5000, 'evil.test refused');
    expect(Date.now() - started).toBeLessThan(5000);

    const before = dns.seen.length;
    expect(await resolve('a.b.evil.test')).toEqual({ error: 'ENOTFOUND' });
    expect(await resolve('good.test')).toEqual({ addresses: [ANSWER] });
    expect(await resolve('notevil.test')).toEqual({ addresses: [ANSWER] });
    // Blocked names never left the device; the others reached the real resolver.
    expect(dns.seen.slice(before)).toEqual(['good.test', 'notevil.test']);
    expect((await s.device()).health).toBe('online');

    const removedAt = Date.now();
    await s.server.ok('DELETE', `/api/indicators/${created.indicator.id as string}`);
    await eventually(() => resolve('evil.test'), resolves, 5000, 'evil.test resolves again');
    expect(Date.now() - removedAt).toBeLessThan(5000);
  });

  it("blocks a URL indicator's host (not its subdomains)", async () => {
    const created = await addIndicator('url', 'https://bad.example/payload.bin');
    await eventually(() => resolve('bad.example'), refused, 5000, 'bad.example refused');
    expect(await resolve('cdn.bad.example')).toEqual({ addresses: [ANSWER] });
    await s.server.ok('DELETE', `/api/indicators/${created.indicator.id as string}`);
    await eventually(() => resolve('bad.example'), resolves, 5000, 'bad.example resolves again');
  });

  it('fails open when the agent is killed, and blocks again once it is back', async () => {
    const created = await addIndicator('domain', 'killed.test');
    await eventually(() => resolve('killed.test'), refused, 5000, 'killed.test refused');

    await s.agent.stop('SIGKILL');
    // Nobody serves the filter's port now: the watchdog takes the redirect out.
    const r = await eventually(() => resolve('killed.test'), resolves, 5000, 'resolution back after kill -9');
    expect(r).toEqual({ addresses: [ANSWER] });
    expect(await resolve('good.test')).toEqual({ addresses: [ANSWER] });

    s.agent.start();
    await s.waitOnline(20_000);
    // The indicator was kept on disk: enforced again without waiting for the server.
    await eventually(() => resolve('killed.test'), refused, 10_000, 'killed.test refused after restart');
    await s.server.ok('DELETE', `/api/indicators/${created.indicator.id as string}`);
    await eventually(() => resolve('killed.test'), resolves, 5000, 'killed.test resolves again');
  });

  it('a filter that cannot start leaves DNS working and is reported as a device issue until it recovers', async () => {
    // Something else holds the filter's configured port (TCP): the filter cannot listen there.
    const squatter = await s.lab.listen('dev', filterPort, '127.0.0.1');
    let squatting = true;
    try {
      const created = await addIndicator('domain', 'degraded.test');
      const device = await eventually(
        () => s.device(),
        (d) => d.issues.some((i: string) => i.includes('DNS filter failed to start')),
        10_000,
        'DNS filter issue reported',
      );
      // Reported as degraded: connected, but not enforcing everything it was asked to.
      expect(device.health).toBe('degraded');
      // Failing open: the name is not blocked, and nothing else broke either.
      expect(await resolve('degraded.test')).toEqual({ addresses: [ANSWER] });
      expect(await resolve('good.test')).toEqual({ addresses: [ANSWER] });

      squatter.close();
      squatting = false;
      await sleep(200);
      // Retried every 15 s: enforced, and the issue cleared.
      await eventually(() => resolve('degraded.test'), refused, 25_000, 'degraded.test refused', 500);
      await eventually(
        () => s.device(),
        (d) => !d.issues.some((i: string) => i.includes('DNS filter')) && d.health === 'online',
        5000,
        'DNS filter issue cleared',
      );
      await s.server.ok('DELETE', `/api/indicators/${created.indicator.id as string}`);
      await eventually(() => resolve('degraded.test'), resolves, 5000, 'degraded.test resolves again');
    } finally {
      if (squatting) squatter.close();
    }
  });

  it('with dns.enabled false, domain indicators are held but never redirect DNS', async () => {
    s.agent.patchConfig({
      dns: { enabled: false, upstreams: [{ address: s.lab.ip('peer'), port: 53 }], port: filterPort },
    });
    await restartAgent();
    const created = await addIndicator('domain', 'off.test');
    await sleep(3000);
    expect(await resolve('off.test')).toEqual({ addresses: [ANSWER] });
    const table = await s.nft(['list', 'table', 'inet', 'quell_ioc']);
    expect(table.stdout).not.toContain('redirect');
    await s.server.ok('DELETE', `/api/indicators/${created.indicator.id as string}`);
  });
});
