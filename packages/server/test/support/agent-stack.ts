import { join } from 'node:path';
import pino from 'pino';
import { createStore, type DatabaseConfig, type Store } from '@quell/store';
import { createIds, createServices, type ManualClock, type Services } from '@quell/server';
import type { AgentKeys } from '../../src/agents/keys/agent-keys.js';
import { attachAgentGateway, type AgentSupportOptions } from '../../src/agents/gateway/agent-support.js';
import { AgentListener } from '../../src/agents/gateway/agent-listener.js';
import type { AgentGateway } from '../../src/agents/gateway/agent-gateway.js';
import { blobUploadSink } from '../../src/agents/gateway/blob-upload-sink.js';
import { attachExpiryNotifier } from '../../src/engine/expiry-notifier.js';
import type { EnrollResponse } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { agentKeyPair, enrollOverHttps, FakeAgent, inventory, type FakeAgentOptions } from './fake-agent.js';

/** One server instance on a database: services, gateway and agent listener (no console HTTP). */
export interface Stack {
  store: Store;
  services: Services;
  gateway: AgentGateway;
  keys: AgentKeys;
  agentUrl: string;
  close(): Promise<void>;
}

export async function startStack(
  db: DatabaseConfig,
  dataDir: string,
  clock: ManualClock,
  /** Gateway options a test needs (timeouts, device-event rate and windows…). */
  gatewayOpts: Partial<AgentSupportOptions> = {},
): Promise<Stack> {
  const store = await createStore(db);
  const log = pino({ level: 'silent' });
  const services = createServices(
    { store, clock, ids: createIds(clock), log },
    { env: {}, blobDir: join(dataDir, 'blobs') },
  );
  await services.deviceGroups.ensureDefaults();
  const keys = await services.agentKeys.get();
  const gateway = attachAgentGateway(services, {
    instanceId: 'test',
    heartbeatMs: 15_000,
    keys,
    uploads: blobUploadSink(services.blobs),
    presenceFlushMs: 100,
    revocationPollMs: 500,
    ...gatewayOpts,
  });
  attachExpiryNotifier(services, {}, log);
  gateway.start();
  const listener = new AgentListener(gateway, services.enrollment, clock, log, {
    host: '127.0.0.1',
    port: 0,
    keys,
  });
  const port = await listener.listen();
  services.dispatcher.start(50);
  return {
    store,
    services,
    gateway,
    keys,
    agentUrl: AgentListener.urlFor('127.0.0.1', port),
    async close() {
      await services.dispatcher.stop();
      await listener.close();
      await store.close();
    },
  };
}

export async function eventually<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let last = await fn();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await fn();
  }
  return last;
}

/**
 * Enrolls `hostname` over HTTPS with `s`'s agent listener (the token made by `tokenFrom`, `s` by
 * default) and returns a fake agent for it that talks to `s`, not yet connected.
 */
export async function enrollFakeAgent(
  s: Stack,
  hostname: string,
  opts: { tokenFrom?: Stack; agent?: Partial<FakeAgentOptions> } = {},
): Promise<{ agent: FakeAgent; enroll: EnrollResponse }> {
  const k = agentKeyPair();
  const { token } = await (opts.tokenFrom ?? s).services.enrollment.createToken(SYSTEM_PRINCIPAL, {
    label: hostname,
  });
  const res = await enrollOverHttps(s.agentUrl, s.keys.certSha256, {
    token,
    publicKey: k.publicKeyB64,
    inventory: inventory(hostname),
  });
  if (res.status !== 200) throw new Error(`enrollment refused: ${res.status} ${JSON.stringify(res.body)}`);
  const enroll = res.body as EnrollResponse;
  const agent = new FakeAgent({
    agentUrl: s.agentUrl,
    certSha256: s.keys.certSha256,
    deviceId: enroll.deviceId,
    hostname,
    privateKey: k.privateKey,
    serverPublicKey: enroll.serverPublicKey,
    ...opts.agent,
  });
  return { agent, enroll };
}

/**
 * A device group "Web" whose rule matches no device yet (`nothing-*`) and a block indicator on
 * `sha256` scoped to it, made through `s`; returns the group's id. Moving a device in is then a
 * `patch(…, { rule: { namePattern: 'web*' } })`.
 */
export async function emptyGroupWithIndicator(s: Stack, sha256: string): Promise<string> {
  const web = await s.services.deviceGroups.create(SYSTEM_PRINCIPAL, {
    name: 'Web',
    rank: 1,
    rule: { namePattern: 'nothing-*' },
    automationLevel: 'none',
  });
  await s.services.indicators.create(SYSTEM_PRINCIPAL, {
    type: 'sha256',
    value: sha256,
    action: 'block',
    title: 'web only',
    deviceGroupIds: [web.id],
  });
  return web.id;
}
