import { randomInt } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IsolationSpec } from '@quell/contracts';
import {
  applyIsolationSafely,
  buildIsolationRuleset,
  IsolationReconciler,
  NftablesFirewall,
  normaliseRuleset,
  type IsolationStatus,
} from '../src/firewall/index.js';
import type { IsolationTarget } from '../src/ports.js';
import { createLab, ROOT, type NetLab } from './support/netns.js';
import { cmd, requirements, ROOT as ROOT_USER } from './support/requirements.js';

const missing = requirements([ROOT_USER, cmd('nft', 'nftables'), cmd('ip', 'iproute2')]);

/** Ports inside the lab's fresh namespaces cannot clash; the root-side one binds the lab address only. */
const SERVICE = 7001;
const OTHER_SERVICE = 7002;

describe.skipIf(missing.length)('nftables isolation on a real kernel (network namespaces)', () => {
  let lab: NetLab;
  let fw: NftablesFirewall;
  let mgmtPort: number;
  let target: (spec?: Partial<IsolationSpec>) => IsolationTarget;
  const reach = (ip: string, port = SERVICE) => lab.canConnect('dev', ip, port, 700);

  beforeAll(async () => {
    lab = await createLab({ nodes: ['dev', 'peer', 'peer2'] });
    mgmtPort = randomInt(20_000, 60_000);
    // Stands in for the Quell server, which runs in the test process's (root) namespace.
    await lab.listen(ROOT, mgmtPort, lab.ip(ROOT));
    for (const node of ['peer', 'peer2']) {
      await lab.listen(node, SERVICE);
      await lab.listen(node, OTHER_SERVICE);
    }
    // The agent code runs here in the root namespace; only its nft commands enter `dev`.
    fw = new NftablesFirewall({ commandPrefix: lab.prefix('dev') });
    target = (spec = {}) => ({
      spec: { mode: 'full', exclusions: [], allowDns: false, allowDhcp: false, ...spec },
      management: [{ address: lab.ip(ROOT), port: mgmtPort }],
    });
  });
  afterEach(async () => {
    await fw?.remove();
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('full isolation cuts the device off but keeps the management channel, open connections included', async () => {
    expect(await reach(lab.ip('peer'))).toBe(true);
    const channel = await lab.connect('dev', lab.ip(ROOT), mgmtPort);
    const unrelated = await lab.connect('dev', lab.ip('peer'), SERVICE);
    expect(await unrelated.ping()).toBe(true);

    const back = await fw.apply(target());
    expect(back).toEqual({
      matches: true,
      present: true,
      rulesetHash: expect.stringMatching(/^[a-f0-9]{64}$/),
    });

    expect(await reach(lab.ip('peer'))).toBe(false);
    expect(await reach(lab.ip6('peer'))).toBe(false);
    expect(await lab.canConnect('dev', lab.ip(ROOT), mgmtPort)).toBe(true);
    expect(await channel.ping()).toBe(true);
    expect(await unrelated.ping(1500)).toBe(false);
    channel.close();
    unrelated.close();
  });

  it('releasing isolation removes the table and restores traffic; both steps are idempotent', async () => {
    const first = await fw.apply(target());
    expect((await fw.apply(target())).rulesetHash).toBe(first.rulesetHash);
    expect(await reach(lab.ip('peer'))).toBe(false);

    expect(await fw.remove()).toEqual({ matches: true, present: false, rulesetHash: null });
    expect(await fw.remove()).toEqual({ matches: true, present: false, rulesetHash: null });
    expect(await reach(lab.ip('peer'))).toBe(true);
  });

  it('selective isolation lets exactly the excluded address and port through', async () => {
    await fw.apply(
      target({ mode: 'selective', exclusions: [{ remote: lab.ip('peer'), port: SERVICE, protocol: 'tcp' }] }),
    );
    expect(await reach(lab.ip('peer'), SERVICE)).toBe(true);
    expect(await reach(lab.ip('peer'), OTHER_SERVICE)).toBe(false);
    expect(await reach(lab.ip('peer2'), SERVICE)).toBe(false);
  });

  it('selective exclusions work for IPv6 networks and honour direction', async () => {
    await fw.apply(
      target({ mode: 'selective', exclusions: [{ remote: `${lab.ip6('peer2')}/64`, direction: 'inbound' }] }),
    );
    await lab.listen('dev', SERVICE);
    // Inbound: peer2 may open connections to the device, the device may not open them to peer2.
    expect(await lab.canConnect('peer2', lab.ip6('dev'), SERVICE, 700)).toBe(true);
    expect(await reach(lab.ip6('peer2'))).toBe(false);
    expect(await lab.canConnect('peer2', lab.ip('dev'), SERVICE, 700)).toBe(false);
  });

  it('nft prints the generated table back exactly as generated (no read-back drift)', async () => {
    const rich = target({
      mode: 'selective',
      allowDns: true,
      allowDhcp: true,
      exclusions: [
        { remote: '198.51.100.0/24', port: 443, protocol: 'tcp', direction: 'outbound' },
        { remote: '2001:DB8:0::7', protocol: 'udp' },
        { remote: '203.0.113.9', port: 53 },
      ],
    });
    await fw.apply(rich);
    const listed = await lab.execOk('dev', 'nft', ['list', 'table', 'inet', 'quell']);
    expect(normaliseRuleset(listed)).toBe(normaliseRuleset(buildIsolationRuleset(rich).expected));
    expect((await fw.read(rich)).matches).toBe(true);
    expect((await fw.read(target())).matches).toBe(false);
    expect((await fw.read(null)).matches).toBe(false);
  });

  describe('reconciler', () => {
    let rec: IsolationReconciler;
    let events: IsolationStatus[];
    let desired: IsolationTarget | null;
    const start = async () => {
      events = [];
      desired = target();
      rec = new IsolationReconciler({
        firewall: fw,
        desired: () => desired,
        onChange: (s) => events.push(s),
      });
      expect((await rec.reconcileOnce()).state).toBe('on');
      rec.start();
    };
    /** Tampers, then measures how long until the reconciler has put isolation back. */
    const reassertedWithin = async (tamper: readonly (readonly string[])[]): Promise<number> => {
      const seen = events.length;
      for (const args of tamper) await lab.execOk('dev', 'nft', args);
      const t0 = Date.now();
      await vi.waitFor(
        () => expect(events.slice(seen).some((e) => e.state === 'on' && e.reasserted)).toBe(true),
        { timeout: 8000, interval: 50 },
      );
      return Date.now() - t0;
    };
    afterEach(async () => {
      await rec?.stop();
    });

    it.each([
      ['deletes the table', [['delete', 'table', 'inet', 'quell']]],
      ['flushes a chain', [['flush', 'chain', 'inet', 'quell', 'output']]],
      [
        'adds accept-all rules',
        [
          ['insert', 'rule', 'inet', 'quell', 'input', 'accept'],
          ['insert', 'rule', 'inet', 'quell', 'output', 'accept'],
        ],
      ],
    ])('re-applies isolation within 5 s when someone %s', async (_what, tamper) => {
      await start();
      const ms = await reassertedWithin(tamper);
      expect(ms).toBeLessThan(5000);
      expect((await fw.read(target())).matches).toBe(true);
      expect(await reach(lab.ip('peer'))).toBe(false);
      expect(await lab.canConnect('dev', lab.ip(ROOT), mgmtPort)).toBe(true);
    });

    it('removes the table when isolation is no longer desired', async () => {
      await start();
      desired = null;
      await vi.waitFor(() => expect(rec.status?.state).toBe('off'), { timeout: 5000, interval: 50 });
      expect((await fw.read(null)).present).toBe(false);
      expect(await reach(lab.ip('peer'))).toBe(true);
    });
  });

  describe('applyIsolationSafely', () => {
    const probe = () => lab.canConnect('dev', lab.ip(ROOT), mgmtPort, 500);
    const opts = { rollbackWithinMs: 3000, probeIntervalMs: 200, probeTimeoutMs: 1000 };

    it('keeps isolation when the server is still reachable', async () => {
      const result = await applyIsolationSafely(fw, target(), probe, opts);
      expect(result).toMatchObject({ ok: true, reachedServer: true });
      expect((await fw.read(target())).matches).toBe(true);
      expect(await reach(lab.ip('peer'))).toBe(false);
    });

    it('rolls back within the window when the management endpoint is wrong and the server becomes unreachable', async () => {
      const wrong: IsolationTarget = {
        ...target(),
        management: [{ address: lab.ip(ROOT), port: mgmtPort + 1 }],
      };
      const started = Date.now();
      const result = await applyIsolationSafely(fw, wrong, probe, opts);
      expect(result).toMatchObject({
        ok: false,
        reason: 'server_unreachable',
        rolledBack: true,
        reachedServer: false,
      });
      expect(!result.ok && result.error).toMatch(/not reachable within 3000 ms/);
      expect(Date.now() - started).toBeLessThan(3000 + 2000);
      expect((await fw.read(null)).present).toBe(false);
      expect(await reach(lab.ip('peer'))).toBe(true);
      expect(await probe()).toBe(true);
    });
  });
});
