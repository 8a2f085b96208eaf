import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, type ActionRequest } from '@quell/contracts';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import type { DatabaseConfig } from '@quell/store';
import { loadConfig, ManualClock, startServer } from '@quell/server';
import { freshDatabase, postgresAvailable, TEST_DB } from './harness.js';
import { enrollFakeAgent, eventually, startStack, type Stack } from './support/agent-stack.js';
import {
  agentKeyPair,
  commandVerifies,
  enrollOverHttps,
  FakeAgent,
  inventory,
  offState,
  type FakeAgentOptions,
} from './support/fake-agent.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());
const HOUR = 3_600_000;

describe.skipIf(!enabled)(`agent gateway (${TEST_DB})`, () => {
  let db: { config: DatabaseConfig; drop: () => Promise<void> };
  let dataDir: string;
  let clock: ManualClock;
  let s: Stack;
  const agents: FakeAgent[] = [];

  beforeEach(async () => {
    db = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'quell-gw-'));
    clock = new ManualClock(Date.now());
    s = await startStack(db.config, dataDir, clock);
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.disconnect();
    await s.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Enrolls a device over HTTPS and returns a fake agent for it (not yet connected). */
  async function enrolled(hostname: string, over: Partial<FakeAgentOptions> = {}) {
    const { agent, enroll } = await enrollFakeAgent(s, hostname, { agent: over });
    agents.push(agent);
    return { agent, enroll };
  }

  const request = (input: ActionRequest) => s.services.actions.request(SYSTEM_PRINCIPAL, input);
  const action = (id: string) => s.services.actions.get(id);
  const statusOf = async (id: string) => (await action(id)).status;
  const isolate = (host: string): ActionRequest => ({
    type: 'isolate_device',
    target: { kind: 'device', id: host },
  });

  it('enrolls over the pinned TLS port and shows the connected device with its inventory', async () => {
    const { agent, enroll } = await enrolled('ws01');
    await agent.connect();
    const row = await eventually(
      () => s.store.agents.byId(s.store.db, enroll.deviceId),
      (r) => r?.connected_at !== null,
    );
    expect(row).toMatchObject({
      hostname: 'ws01',
      os_version: '12',
      kernel: '6.1.0-test',
      connected_instance: 'test',
    });
    expect(JSON.parse(row!.capabilities)).toEqual(['nftables', 'yara']);
    expect(s.gateway.isConnected('ws01')).toBe(true);
    expect(s.gateway.isConnected(enroll.deviceId)).toBe(true);
  });

  it('refuses an enrollment body that does not fit the schema, naming the problem', async () => {
    const res = await enrollOverHttps(s.agentUrl, s.keys.certSha256, { token: 'x', publicKey: 'y' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'QUELL_E_INPUT' });
  });

  it('refuses a hello signed with another key and a device it does not know', async () => {
    const { agent } = await enrolled('ws02', { helloKey: agentKeyPair().privateKey });
    await expect(agent.connect()).rejects.toThrow(/4001/);
    expect(agent.closeCode).toBe(CLOSE_CODES.badHello);
    const stranger = new FakeAgent({
      agentUrl: s.agentUrl,
      certSha256: s.keys.certSha256,
      deviceId: 'dev_nobody',
      hostname: 'nobody',
      privateKey: agentKeyPair().privateKey,
    });
    await expect(stranger.connect()).rejects.toThrow(/4004/);
  });

  it('closes a revoked agent within 5 s and refuses it when it comes back', async () => {
    const { agent, enroll } = await enrolled('ws03');
    await agent.connect();
    const started = Date.now();
    await s.services.devices.revoke(SYSTEM_PRINCIPAL, enroll.deviceId, 'lost laptop');
    expect(await agent.closed()).toBe(CLOSE_CODES.revoked);
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(agent.connect()).rejects.toThrow(/4003/);
  });

  it('signs commands so the enrollment key verifies them, and a tampered one does not', async () => {
    const { agent, enroll } = await enrolled('ws04');
    await agent.connect();
    const a = await request(isolate('ws04'));
    await eventually(
      () => agent.commands().length,
      (n) => n === 1,
    );
    const cmd = agent.commands()[0]!;
    expect(cmd.command).toMatchObject({ actionId: a.id, deviceId: enroll.deviceId, type: 'isolate_device' });
    expect(cmd.command.expiresAt).toBe(Date.parse(a.expiresAt));
    expect(cmd.command.timeoutMs).toBe(120_000);
    expect(commandVerifies(cmd, enroll.serverPublicKey)).toBe(true);
    const tampered = { ...cmd, command: { ...cmd.command, params: { mode: 'selective' } } };
    expect(commandVerifies(tampered, enroll.serverPublicKey)).toBe(false);
  });

  it('isolates: dispatched, running, succeeded, with the verified state the agent reports', async () => {
    const { agent, enroll } = await enrolled('ws05', { mode: 'hold' });
    await agent.connect();
    const a = await request(isolate('ws05'));
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'running',
    );
    agent.setState({
      ...offState(),
      isolation: {
        state: 'on',
        checkedAt: Date.now(),
        actionId: a.id,
        evidence: 'sha256:rules',
        error: null,
      },
    });
    agent.finish(a.id);
    const done = await eventually(
      () => s.services.actions.detail(a.id),
      (d) => d.status === 'succeeded',
    );
    expect(done.timeline.map((e) => e.to)).toEqual(['queued', 'dispatched', 'running', 'succeeded']);
    expect(done.result).toEqual({ verified: true, rulesetHash: 'abc123', reachedServer: true });
    expect(done.attempts).toBe(1);
    const device = await s.services.devices.get(SYSTEM_PRINCIPAL, enroll.deviceId);
    expect(device.isolation.state).toBe('on');
    expect(agent.executions).toEqual([a.id]);
  });

  it('keeps an action for an offline device queued without spending attempts, and runs it within 5 s of its return', async () => {
    const { agent } = await enrolled('ws06');
    const a = await request(isolate('ws06'));
    const waiting = await eventually(
      () => action(a.id),
      (x) => x.error !== null,
    );
    expect(waiting.status).toBe('queued');
    expect(waiting.attempts).toBe(0);
    expect(waiting.error).toMatch(/offline; the action waits until its agent connects or until it expires/);
    const back = Date.now();
    await agent.connect();
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'succeeded',
    );
    expect(Date.now() - back).toBeLessThan(5000);
    expect(agent.executions).toEqual([a.id]);
  });

  it('expires an action whose device never returns, never sends it, and notifies the webhooks', async () => {
    const received: any[] = [];
    const hook: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      await s.services.settings.patch(SYSTEM_PRINCIPAL, { webhooks: [{ name: 'soc', url }] });
      const { agent } = await enrolled('ws07');
      const a = await request({ ...isolate('ws07'), ttlHours: 1 });
      await eventually(
        () => action(a.id),
        (x) => x.error !== null,
      );
      clock.advance(2 * HOUR);
      await eventually(
        () => statusOf(a.id),
        (st) => st === 'expired',
      );
      await eventually(
        () => received.length,
        (n) => n === 1,
      );
      expect(received[0]).toMatchObject({
        event: 'action.expired',
        data: { actionId: a.id, target: 'ws07' },
      });
      await agent.connect();
      await new Promise((r) => setTimeout(r, 300));
      expect(agent.commands()).toHaveLength(0);
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });

  it('finishes an action across a server restart: the result arrives after reconnecting and it ran once', async () => {
    const { agent } = await enrolled('ws08', { mode: 'hold' });
    await agent.connect();
    const a = await request(isolate('ws08'));
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'running',
    );
    await s.close();
    await agent.closed();
    s = await startStack(db.config, dataDir, clock);
    agent.o = { ...agent.o, agentUrl: s.agentUrl };
    // The agent finished while the server was away: its result waits in the outbox.
    agent.finish(a.id);
    await agent.connect();
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'succeeded',
    );
    expect(agent.executions).toEqual([a.id]);
    // The server acks the result once it is committed, so the ack reaches the agent just after.
    await eventually(
      () => agent.outbox.size,
      (n) => n === 0,
    );
  });

  it('re-sends a command the agent does not hold after a restart; the agent answers duplicate and runs it once', async () => {
    const { agent } = await enrolled('ws09');
    agent.loseResults = true;
    await agent.connect();
    const a = await request(isolate('ws09'));
    await eventually(
      () => agent.executions.length,
      (n) => n === 1,
    );
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'running',
    );
    await s.close();
    await agent.closed();
    s = await startStack(db.config, dataDir, clock);
    agent.o = { ...agent.o, agentUrl: s.agentUrl };
    agent.loseResults = false;
    await agent.connect();
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'succeeded',
    );
    expect(agent.executions).toEqual([a.id]);
    expect(agent.commands().filter((c) => c.command.actionId === a.id)).toHaveLength(2);
  });

  it('sends cancel to the agent for a running scan, and records live progress meanwhile', async () => {
    const { agent } = await enrolled('ws10', { mode: 'hold' });
    await agent.connect();
    const a = await request({ type: 'run_av_scan', target: { kind: 'device', id: 'ws10' } });
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'running',
    );
    agent.send({ type: 'progress', actionId: a.id, done: 40, total: 100, message: 'scanning /usr' });
    const p = await eventually(
      () => action(a.id),
      (x) => x.progress !== null,
    );
    expect(p.progress).toMatchObject({ done: 40, total: 100, message: 'scanning /usr' });
    await s.services.actions.cancel(SYSTEM_PRINCIPAL, a.id, 'enough');
    await eventually(() => agent.received.some((m) => m.type === 'cancel' && m.actionId === a.id), Boolean);
    await eventually(
      () => agent.outbox.size,
      (n) => n === 0,
    );
    expect(await statusOf(a.id)).toBe('cancelled');
  });

  it('gives scans the YARA rules and turns detections into alerts with file and device entities', async () => {
    const sha = 'a'.repeat(64);
    const { agent } = await enrolled('ws11', {
      answer: () => ({
        status: 'succeeded',
        result: { filesScanned: 3, filesSkipped: 0, detections: 1, engines: ['yara'], durationMs: 9 },
        evidence: { rules: 1 },
        detections: [
          {
            path: '/tmp/eicar.com',
            sha256: sha,
            size: 68,
            engine: 'yara',
            name: 'EICAR-Test-File',
            severity: 'high',
          },
        ],
      }),
    });
    await s.store.transaction((trx) =>
      s.store.yara.insert(trx, {
        id: 'yr1',
        name: 'eicar',
        source: 'rule eicar { condition: true }',
        created_by: 't',
        created_at: 1,
      }),
    );
    await agent.connect();
    const a = await request({ type: 'run_av_scan', target: { kind: 'device', id: 'ws11' } });
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'succeeded',
    );
    expect(agent.commands()[0]!.command.params.yaraRules).toEqual([
      { name: 'eicar', source: 'rule eicar { condition: true }' },
    ]);
    const alerts = await s.store.db.selectFrom('alerts').selectAll().execute();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      title: 'Malware detected: EICAR-Test-File',
      severity: 'high',
      detection_source: 'quell-agent',
    });
    const kinds = (JSON.parse(alerts[0]!.entities) as Array<{ kind: string; evidence: any }>).map((e) => [
      e.kind,
      e.evidence.sha256 ?? e.evidence.hostname,
    ]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        ['file', sha],
        ['device', 'ws11'],
      ]),
    );
    const detail = await s.services.actions.detail(a.id);
    expect(detail.timeline.at(-1)!.reason).toMatch(/evidence: \{"rules":1\}/);
  });

  it('stores an uploaded investigation package as a blob', async () => {
    const pkg = Buffer.alloc(200_000, 7);
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(pkg).digest('hex');
    const { agent } = await enrolled('ws12', {
      answer: () => ({
        status: 'succeeded',
        result: { blobSha256: sha, sizeBytes: pkg.length, items: 5, itemErrors: 0 },
        upload: pkg,
      }),
    });
    await agent.connect();
    const a = await request({
      type: 'collect_investigation_package',
      target: { kind: 'device', id: 'ws12' },
    });
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'succeeded',
    );
    expect(await s.store.blobs.get(sha)).toMatchObject({ size: pkg.length });
    const file = join(dataDir, 'blobs', sha.slice(0, 2), sha);
    expect(existsSync(file) && readFileSync(file).equals(pkg)).toBe(true);
  });

  it('ignores a malformed message after the hello instead of dropping the agent', async () => {
    const { agent } = await enrolled('ws13');
    await agent.connect();
    agent.sendRaw('{"type":"ack","actionId":"x"}');
    agent.sendRaw('not json');
    const a = await request(isolate('ws13'));
    await eventually(
      () => statusOf(a.id),
      (st) => st === 'succeeded',
    );
  });
});

describe.skipIf(TEST_DB !== 'sqlite')('agent listener in startServer', () => {
  it('serves agents on its own port and closes their sockets with shuttingDown on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quell-srv-'));
    const config = loadConfig({}, { dataDir: dir, port: 0, agentPort: 0, logLevel: 'silent' });
    const server = await startServer(config);
    try {
      expect(server.agentUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const keys = await server.services.agentKeys.get();
      const { token } = await server.services.enrollment.createToken(SYSTEM_PRINCIPAL, { label: 'srv' });
      const k = agentKeyPair();
      const res = await enrollOverHttps(server.agentUrl!, keys.certSha256, {
        token,
        publicKey: k.publicKeyB64,
        inventory: inventory('srv01'),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const agent = new FakeAgent({
        agentUrl: server.agentUrl!,
        certSha256: keys.certSha256,
        deviceId: res.body.deviceId,
        hostname: 'srv01',
        privateKey: k.privateKey,
      });
      await agent.connect();
      const closed = agent.closed();
      await server.close();
      expect(await closed).toBe(CLOSE_CODES.shuttingDown);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
