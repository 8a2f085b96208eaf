import { randomInt } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  IndicatorStore,
  IocReconciler,
  IocTargetSource,
  NftIocFirewall,
  type IocStatus,
  type SyncIndicator,
} from '../src/indicators/index.js';
import { indicator, ipv4Blocks } from './support/indicators-fixtures.js';
import { createLab, ROOT, type NetLab } from './support/netns.js';
import { cmd, requirements, ROOT as ROOT_USER } from './support/requirements.js';

const missing = requirements([ROOT_USER, cmd('nft', 'nftables'), cmd('ip', 'iproute2')]);
const SERVICE = 7001;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing.length)('IP indicators in nftables on a real kernel (network namespaces)', () => {
  let lab: NetLab;
  let mgmtPort: number;
  let fw: NftIocFirewall;
  let store: IndicatorStore;
  let reconciler: IocReconciler;
  let version: number;
  let statuses: IocStatus[];
  const reach = (ip: string) => lab.canConnect('dev', ip, SERVICE, 700);

  /** Applies `upserts`/`removals` as one delta and waits for the table to converge. */
  async function change(upserts: SyncIndicator[], removals: string[] = []): Promise<IocStatus> {
    store.applyDelta({ fromVersion: version, toVersion: version + 1, upserts, removals });
    version++;
    return reconciler.reconcileOnce();
  }

  beforeAll(async () => {
    lab = await createLab({ nodes: ['dev', 'peer', 'peer2'] });
    mgmtPort = randomInt(20_000, 60_000);
    await lab.listen(ROOT, mgmtPort, lab.ip(ROOT));
    for (const node of ['peer', 'peer2']) await lab.listen(node, SERVICE);
    fw = new NftIocFirewall({ commandPrefix: lab.prefix('dev') });
  });
  beforeEach(() => {
    store = new IndicatorStore();
    store.applySnapshot({ version: 1, indicators: [] });
    version = 1;
    statuses = [];
    const source = new IocTargetSource({ store, management: () => [lab.ip(ROOT)], dnsRedirect: () => null });
    reconciler = new IocReconciler({
      firewall: fw,
      desired: () => source.current(),
      intervalMs: 500,
      onChange: (s) => statuses.push(s),
    });
  });
  afterEach(async () => {
    await reconciler.stop();
    await fw.remove();
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('blocking the peer address cuts traffic both ways; removing the block restores it', async () => {
    expect(await reach(lab.ip('peer'))).toBe(true);
    await lab.listen('dev', SERVICE);
    const on = await change([indicator('peer', { type: 'ipv4', value: lab.ip('peer') })]);
    expect(on).toMatchObject({ state: 'on', error: null, counts: { all_block4: 1, mgmt4: 1 } });
    expect(on.rulesetHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await reach(lab.ip('peer'))).toBe(false);
    expect(await lab.canConnect('peer', lab.ip('dev'), SERVICE, 700)).toBe(false);
    expect(await reach(lab.ip('peer2'))).toBe(true);

    expect((await change([], ['peer'])).state).toBe('off');
    expect(await reach(lab.ip('peer'))).toBe(true);
  });

  it('a CIDR blocks every address in it; an allow for one address wins over it', async () => {
    const cidr = `${lab.ip('peer').split('.').slice(0, 3).join('.')}.0/24`;
    await change([indicator('net', { type: 'ipv4', value: cidr })]);
    expect(await reach(lab.ip('peer'))).toBe(false);
    expect(await reach(lab.ip('peer2'))).toBe(false);

    const back = await change([indicator('ok', { type: 'ipv4', value: lab.ip('peer'), action: 'allow' })]);
    expect(back.counts).toMatchObject({ all_block_net4: 1, all_allow4: 1, all_block4: 0 });
    expect(await reach(lab.ip('peer'))).toBe(true);
    expect(await reach(lab.ip('peer2'))).toBe(false);
  });

  it('never blocks the management server, even inside a blocked CIDR', async () => {
    const cidr = `${lab.ip(ROOT).split('.').slice(0, 3).join('.')}.0/24`;
    await change([indicator('lan', { type: 'ipv4', value: cidr })]);
    expect(await reach(lab.ip('peer'))).toBe(false);
    expect(await lab.canConnect('dev', lab.ip(ROOT), mgmtPort, 700)).toBe(true);
  });

  it('a group-scoped block beats an all-devices allow, as precedence says', async () => {
    await change([
      indicator('fleet-allow', { type: 'ipv4', value: lab.ip('peer'), action: 'allow' }),
      indicator('group-block', { type: 'ipv4', value: lab.ip('peer'), groupScoped: true }),
    ]);
    expect(await reach(lab.ip('peer'))).toBe(false);
    expect(store.lookupIp(lab.ip('peer'))?.id).toBe('group-block');
  });

  it('blocks IPv6 addresses and networks', async () => {
    await change([indicator('v6', { type: 'ipv6', value: `${lab.ip6('peer')}/64` })]);
    expect(await lab.canConnect('dev', lab.ip6('peer'), SERVICE, 700)).toBe(false);
    expect(await reach(lab.ip('peer'))).toBe(true);
  });

  it('puts the table back within 5 s when someone deletes it, and reports it', async () => {
    await change([indicator('peer', { type: 'ipv4', value: lab.ip('peer') })]);
    reconciler.start();
    await lab.execOk('dev', 'nft', ['delete', 'table', 'inet', 'quell_ioc']);
    const deletedAt = Date.now();
    expect(await reach(lab.ip('peer'))).toBe(true);
    while (Date.now() - deletedAt < 5000 && !(await fw.read(null, 'structure')).present) await sleep(100);
    expect(Date.now() - deletedAt).toBeLessThan(5000);
    expect(await reach(lab.ip('peer'))).toBe(false);
    expect(statuses.some((s) => s.reasserted)).toBe(true);
  });

  it('a full check finds a flushed set and refills it', async () => {
    await change([indicator('peer', { type: 'ipv4', value: lab.ip('peer') })]);
    await lab.execOk('dev', 'nft', ['flush', 'set', 'inet', 'quell_ioc', 'all_block4']);
    expect(await reach(lab.ip('peer'))).toBe(true);
    const quick = new IocReconciler({
      firewall: fw,
      desired: () =>
        new IocTargetSource({ store, management: () => [lab.ip(ROOT)], dnsRedirect: () => null }).current(),
      fullCheckIntervalMs: 0,
    });
    await quick.reconcileOnce();
    const status = await quick.reconcileOnce();
    expect(status).toMatchObject({ state: 'on', counts: { all_block4: 1 } });
    expect(await reach(lab.ip('peer'))).toBe(false);
  });

  it('loads 100,000 addresses in one transaction and then changes them by element deltas', async () => {
    const many = ipv4Blocks(100_000, 4242);
    const began = Date.now();
    const first = await change([...many, indicator('peer', { type: 'ipv4', value: lab.ip('peer') })]);
    const loadMs = Date.now() - began;
    expect(first).toMatchObject({ state: 'on', verified: 'full', counts: { all_block4: 100_001 } });
    expect(await reach(lab.ip('peer'))).toBe(false);

    const deltaBegan = Date.now();
    const after = await change([], ['peer', 'ip7', 'ip8']);
    const deltaMs = Date.now() - deltaBegan;
    expect(after).toMatchObject({ state: 'on', verified: 'structure', counts: { all_block4: 99_998 } });
    expect(await reach(lab.ip('peer'))).toBe(true);
    const fullBegan = Date.now();
    const checked = await reconciler.reconcileOnce();
    const fullMs = Date.now() - fullBegan;
    expect(checked).toMatchObject({ state: 'on', verified: 'full', counts: { all_block4: 99_998 } });
    console.log(
      `100,001 addresses: load + full read-back ${loadMs} ms; 3-address delta ${deltaMs} ms; full read-back ${fullMs} ms`,
    );
  });
});
