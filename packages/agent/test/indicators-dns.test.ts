import { randomInt } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HelperSocketBroker,
  IndicatorEnforcement,
  IndicatorStore,
  NftIocFirewall,
  type DnsMatchEvent,
  type SyncIndicator,
} from '../src/indicators/index.js';
import { resolveFrom, tcpQueryFrom } from './support/dns-client.js';
import { startDnsTestServer, type DnsTestServer } from './support/dns-test-server.js';
import { indicator } from './support/indicators-fixtures.js';
import { createLab, ROOT, type NetLab } from './support/netns.js';
import { cmd, requirements, ROOT as ROOT_USER } from './support/requirements.js';

const missing = requirements([ROOT_USER, cmd('nft', 'nftables'), cmd('ip', 'iproute2')]);
/** The filter's sockets belong to this uid; no account needs to exist for it. */
const FILTER_UID = 64_000 + randomInt(0, 999);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing.length)(
  'domain and URL indicators through the DNS filter (network namespaces)',
  () => {
    let lab: NetLab;
    let dns: DnsTestServer;
    let fw: NftIocFirewall;
    let store: IndicatorStore;
    let enforcement: IndicatorEnforcement;
    let matches: DnsMatchEvent[];
    let version: number;
    const resolve = (name: string, server = lab.ip('peer')) => resolveFrom(lab, 'dev', server, name);
    const blocks: SyncIndicator[] = [
      indicator('evil', { type: 'domain', value: 'evil.test' }),
      indicator('ok', { type: 'domain', value: 'ok.evil.test', action: 'allow' }),
      indicator('url', { type: 'url', value: 'https://bad.example/payload.bin' }),
      indicator('watch', { type: 'domain', value: 'watched.test', action: 'audit' }),
    ];
    const delta = (upserts: SyncIndicator[], removals: string[] = []) => {
      store.applyDelta({ fromVersion: version, toVersion: version + 1, upserts, removals });
      version++;
    };

    beforeAll(async () => {
      lab = await createLab({ nodes: ['dev', 'peer'] });
      dns = await startDnsTestServer(lab, 'peer');
      fw = new NftIocFirewall({ commandPrefix: lab.prefix('dev') });
    });
    beforeEach(async () => {
      store = new IndicatorStore();
      store.applySnapshot({ version: 1, indicators: [] });
      version = 1;
      matches = [];
      enforcement = new IndicatorEnforcement({
        store,
        firewall: fw,
        management: () => [lab.ip(ROOT)],
        dns: {
          broker: new HelperSocketBroker({ uid: FILTER_UID, commandPrefix: lab.prefix('dev') }),
          uid: FILTER_UID,
          upstreams: () => [
            { address: lab.ip('peer'), port: 53 },
            { address: lab.ip6('peer'), port: 53 },
          ],
        },
        onDnsMatch: (e) => matches.push(e),
      });
      await enforcement.start();
    });
    afterEach(async () => {
      await enforcement.stop();
      await fw.remove();
    });
    afterAll(async () => {
      await dns?.close();
      await lab?.destroy();
    });

    it('refuses blocked domains and all their subdomains, and resolves everything else', async () => {
      expect(await resolve('evil.test')).toEqual({ addresses: [dns.address] });
      expect(enforcement.status().dns.state).toBe('off');

      const began = Date.now();
      delta(blocks);
      await enforcement.refresh();
      expect(await resolve('evil.test')).toEqual({ error: 'ENOTFOUND' });
      expect(Date.now() - began).toBeLessThan(5000);
      expect(enforcement.status().dns).toMatchObject({ state: 'on', error: null });

      const before = dns.seen.length;
      expect(await resolve('a.b.evil.test')).toEqual({ error: 'ENOTFOUND' });
      expect(await resolve('good.test')).toEqual({ addresses: [dns.address] });
      expect(await resolve('x.ok.evil.test')).toEqual({ addresses: [dns.address] });
      expect(await resolve('notevil.test')).toEqual({ addresses: [dns.address] });
      // Blocked names never left the device; the others reached the real resolver.
      expect(dns.seen.slice(before)).toEqual(['good.test', 'x.ok.evil.test', 'notevil.test']);
    });

    it('blocks the host of a blocked URL (a resolver sees no paths) but not its subdomains', async () => {
      delta(blocks);
      await enforcement.refresh();
      expect(await resolve('bad.example')).toEqual({ error: 'ENOTFOUND' });
      expect(await resolve('cdn.bad.example')).toEqual({ addresses: [dns.address] });
    });

    it('answers over TCP too, and catches queries sent to the resolver over IPv6', async () => {
      delta(blocks);
      await enforcement.refresh();
      expect(await tcpQueryFrom(lab, 'dev', lab.ip('peer'), 'evil.test')).toEqual({
        id: 0x1234,
        rcode: 3,
        answers: 0,
      });
      expect(await tcpQueryFrom(lab, 'dev', lab.ip('peer'), 'good.test')).toEqual({
        id: 0x1234,
        rcode: 0,
        answers: 1,
      });
      expect(enforcement.status().dns.port).toEqual(expect.any(Number));
      expect(await resolve('evil.test', lab.ip6('peer'))).toEqual({ error: 'ENOTFOUND' });
      expect(await resolve('good.test', lab.ip6('peer'))).toEqual({ addresses: [dns.address] });
    });

    it('reports audit and block matches for alerts, and lets audited names resolve', async () => {
      delta(blocks);
      await enforcement.refresh();
      expect(await resolve('www.watched.test')).toEqual({ addresses: [dns.address] });
      expect(await resolve('evil.test')).toEqual({ error: 'ENOTFOUND' });
      expect(matches.map((m) => [m.name, m.blocked, m.indicator.id])).toEqual([
        ['www.watched.test', false, 'watch'],
        ['evil.test', true, 'evil'],
      ]);
    });

    it('removing the last blocking name stops the filter and its redirect; resolution is back', async () => {
      delta(blocks);
      await enforcement.refresh();
      expect(await resolve('evil.test')).toEqual({ error: 'ENOTFOUND' });
      delta([], ['evil', 'url']);
      const status = await enforcement.refresh();
      expect(status.dns).toMatchObject({ state: 'off', port: null });
      expect(status.ip?.state).toBe('off');
      expect(await resolve('evil.test')).toEqual({ addresses: [dns.address] });
      const table = await lab.exec('dev', 'nft', ['list', 'table', 'inet', 'quell_ioc']);
      expect(table.code).not.toBe(0);
    });

    it('lifts a block when its indicator expires, without a delta', async () => {
      const expiresAt = Date.now() + 4000;
      delta([
        indicator('brief', {
          type: 'domain',
          value: 'brief.test',
          expiresAt: new Date(expiresAt).toISOString(),
        }),
      ]);
      await enforcement.refresh();
      expect(await resolve('brief.test')).toEqual({ error: 'ENOTFOUND' });
      await sleep(expiresAt - Date.now());
      const end = Date.now() + 5000;
      let last = await resolve('brief.test');
      while ('error' in last && Date.now() < end) {
        await sleep(200);
        last = await resolve('brief.test');
      }
      expect(last).toEqual({ addresses: [dns.address] });
      // The purge at expiry also stops the filter, the last blocking name being gone.
      while (enforcement.status().dns.state !== 'off' && Date.now() < end) await sleep(100);
      expect(enforcement.status()).toMatchObject({ dns: { state: 'off' }, counts: { total: 0 } });
    });

    it('puts the redirect back when someone deletes the table', async () => {
      delta(blocks);
      await enforcement.refresh();
      await lab.execOk('dev', 'nft', ['delete', 'table', 'inet', 'quell_ioc']);
      expect(await resolve('evil.test')).toEqual({ addresses: [dns.address] });
      const end = Date.now() + 5000;
      let last = await resolve('evil.test');
      while (!('error' in last) && Date.now() < end) {
        await sleep(200);
        last = await resolve('evil.test');
      }
      expect(last).toEqual({ error: 'ENOTFOUND' });
    });
  },
);
