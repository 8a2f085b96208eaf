import { randomInt } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HelperSocketBroker,
  IndicatorEnforcement,
  IndicatorStore,
  NftIocFirewall,
} from '../src/indicators/index.js';
import { ProcessRedirectWatchdog } from '../src/indicators/dns/redirect-watchdog.js';
import { resolveFrom, type LookupResult } from './support/dns-client.js';
import { startDnsTestServer, type DnsTestServer } from './support/dns-test-server.js';
import { eventually } from './support/e2e-stack.js';
import { indicator } from './support/indicators-fixtures.js';
import { createLab, ROOT, type NetLab } from './support/netns.js';
import { cmd, requirements, ROOT as ROOT_USER } from './support/requirements.js';

// A DNS filter that stops serving must never take the device's name resolution with it: the
// enforcement's self-test takes the redirect out, and the watchdog process does when the agent
// itself stalls. Real nftables in a lab namespace, a real resolver in a peer namespace.
const missing = requirements([ROOT_USER, cmd('nft', 'nftables'), cmd('ip', 'iproute2')]);
const FILTER_UID = 64_000 + randomInt(0, 999);
const ANSWER = '203.0.113.9';

describe.skipIf(missing.length)('the DNS filter fails open (network namespaces)', () => {
  let lab: NetLab;
  let dns: DnsTestServer;
  let fw: NftIocFirewall;
  let store: IndicatorStore;
  let enforcement: IndicatorEnforcement;
  let problems: (string | null)[];
  let watchdog: ProcessRedirectWatchdog;
  let fired: string[];
  const resolve = (name: string): Promise<LookupResult> => resolveFrom(lab, 'dev', lab.ip('peer'), name);
  const refused = (r: LookupResult) => 'error' in r && r.error === 'ENOTFOUND';
  const resolves = (r: LookupResult) => 'addresses' in r && r.addresses[0] === ANSWER;

  beforeAll(async () => {
    lab = await createLab({ nodes: ['dev', 'peer'] });
    dns = await startDnsTestServer(lab, 'peer', ANSWER);
    fw = new NftIocFirewall({ commandPrefix: lab.prefix('dev') });
  });
  beforeEach(async () => {
    problems = [];
    fired = [];
    store = new IndicatorStore();
    store.applySnapshot({
      version: 1,
      indicators: [indicator('evil', { type: 'domain', value: 'evil.test' })],
    });
    // Beats far apart and a short stall limit: the watchdog fires while this process lives on.
    watchdog = new ProcessRedirectWatchdog({
      table: 'quell_ioc',
      commandPrefix: lab.prefix('dev'),
      beatMs: 60_000,
      stallMs: 1500,
      onFired: (why) => fired.push(why),
    });
    enforcement = new IndicatorEnforcement({
      store,
      firewall: fw,
      management: () => [lab.ip(ROOT)],
      reconciler: { intervalMs: 60_000, idleIntervalMs: 60_000, fullCheckIntervalMs: 60_000 },
      dns: {
        broker: new HelperSocketBroker({ uid: FILTER_UID, commandPrefix: lab.prefix('dev') }),
        uid: FILTER_UID,
        upstreams: () => [{ address: lab.ip('peer'), port: 53 }],
        probeIntervalMs: 300,
        probeTimeoutMs: 300,
        onProblem: (t) => problems.push(t),
      },
    });
  });
  afterEach(async () => {
    watchdog.disarm();
    await enforcement.stop();
    await fw.remove();
    await lab.exec('dev', 'nft', ['delete', 'table', 'inet', 'quell_test_drop']);
  });
  afterAll(async () => {
    await dns?.close();
    await lab?.destroy();
  });

  it('takes the redirect out when the filter stops answering, reports it, and enforces again once it answers', async () => {
    const status = await enforcement.start();
    expect(status.dns.state).toBe('on');
    expect(await resolve('evil.test')).toEqual({ error: 'ENOTFOUND' });
    expect(problems).toEqual([null]);

    // Nothing reaches the filter's port any more (as if its listener were gone).
    const port = status.dns.port!;
    await lab.execOk('dev', 'nft', ['-f', '-'], {
      input: [
        'table inet quell_test_drop {',
        '  chain input {',
        '    type filter hook input priority -300; policy accept;',
        `    udp dport ${port} drop`,
        `    tcp dport ${port} drop`,
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    await eventually(
      () => enforcement.status().dns.state,
      (s) => s === 'failed',
      5000,
      'filter failed',
    );
    expect(problems.at(-1)).toContain('DNS filter stopped answering');
    // Failing open: the device resolves through its resolver again, unfiltered.
    expect(await resolve('evil.test')).toEqual({ addresses: [ANSWER] });
    expect(await resolve('good.test')).toEqual({ addresses: [ANSWER] });

    await lab.execOk('dev', 'nft', ['delete', 'table', 'inet', 'quell_test_drop']);
    // Retried 15 s later: enforced again, the problem cleared.
    await eventually(() => resolve('evil.test'), refused, 25_000, 'evil.test refused again', 500);
    expect(problems.at(-1)).toBeNull();
  });

  it('a disarmed watchdog leaves the redirect alone; one whose agent stops beating flushes it', async () => {
    const status = await enforcement.start();
    expect(status.dns.state).toBe('on');
    expect(await resolve('evil.test')).toEqual({ error: 'ENOTFOUND' });

    const calm = new ProcessRedirectWatchdog({
      table: 'quell_ioc',
      commandPrefix: lab.prefix('dev'),
      stallMs: 1000,
      onFired: (why) => fired.push(`calm: ${why}`),
    });
    calm.arm();
    await new Promise((r) => setTimeout(r, 300));
    calm.disarm();
    await new Promise((r) => setTimeout(r, 2500));
    expect(await resolve('evil.test')).toEqual({ error: 'ENOTFOUND' });
    expect(fired).toEqual([]);

    watchdog.arm();
    await eventually(() => resolve('evil.test'), resolves, 6000, 'redirect flushed by the watchdog', 200);
    await eventually(
      () => fired.length,
      (n) => n === 1,
      3000,
      'watchdog reported',
    );
    expect(fired[0]).toContain('no beat');
  });
});
