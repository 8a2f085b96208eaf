import { mkdtempSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { actionDefinition, type ActionType } from '@quell/core';
import type { Command, Inventory } from '@quell/contracts';
import { AgentRuntime, type AgentPorts } from '../src/agent.js';
import type { AgentEvent } from '../src/events/agent-events.js';
import { withDefaults, type AgentConfig } from '../src/config/agent-config.js';
import { loadConfig } from '../src/config/config-file.js';
import { enroll } from '../src/identity/enroll.js';
import { EnrollRefusedError, PinMismatchError, TokenFormatError } from '../src/errors.js';
import { makeCert, ProtocolServer } from './support/protocol-server.js';
import { FakeCollector, FakeExecControl, FakeFirewall, FakeScanner } from './support/runtime-fake-ports.js';

const INVENTORY: Inventory = {
  hostname: 'test-host',
  os: 'Debian GNU/Linux',
  osVersion: '12',
  kernel: '6.1.0',
  arch: 'x64',
  addresses: ['10.0.0.5'],
  agentVersion: '0.1.0',
  capabilities: [],
};

let cert: ReturnType<typeof makeCert>;
let server: ProtocolServer;
let dir: string;
let configPath: string;
let runtimes: AgentRuntime[] = [];
let seq = 0;

beforeAll(async () => {
  cert = makeCert();
  server = await ProtocolServer.start(cert);
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quell-agent-rt-'));
  configPath = join(dir, 'etc', 'agent.json');
  server.reset();
});
afterEach(async () => {
  for (const r of runtimes) await r.stop();
  runtimes = [];
  rmSync(dir, { recursive: true, force: true });
});

async function enrolled(): Promise<AgentConfig> {
  await enroll({
    serverUrl: server.url,
    token: server.token(),
    configPath,
    stateDir: join(dir, 'state'),
    inventory: INVENTORY,
  });
  const config = await loadConfig(configPath);
  return { ...config, fsRoot: dir, management: [{ address: '127.0.0.1', port: server.port }] };
}

function fakePorts(): AgentPorts & {
  firewall: FakeFirewall;
  execControl: FakeExecControl;
  scanner: FakeScanner;
  collector: FakeCollector;
} {
  return {
    firewall: new FakeFirewall(),
    execControl: new FakeExecControl(),
    scanner: new FakeScanner(),
    collector: new FakeCollector(),
  };
}

async function startAgent(
  config: AgentConfig,
  ports = fakePorts(),
  extra: { rollbackWithinMs?: number } = {},
): Promise<AgentRuntime> {
  const rt = await AgentRuntime.create({
    config,
    ports,
    inventory: async () => INVENTORY,
    random: () => 0.5,
    backoff: { firstMs: 40, baseMs: 80, maxMs: 300 },
    progressIntervalMs: 100,
    ...extra,
  });
  runtimes.push(rt);
  await rt.start();
  return rt;
}

async function stopAgent(rt: AgentRuntime): Promise<void> {
  await rt.stop();
  runtimes = runtimes.filter((r) => r !== rt);
}

function command(
  config: AgentConfig,
  type: ActionType,
  params: Record<string, unknown> = {},
  over: Partial<Command> = {},
): Command {
  const now = Date.now();
  return {
    actionId: `act-${++seq}`,
    deviceId: config.deviceId!,
    type,
    params,
    issuedAt: now,
    expiresAt: now + 60_000,
    timeoutMs: 10_000,
    ...over,
  };
}

/** The result matches the catalog's result schema: only declared keys, of the declared types. */
function expectCatalogShape(type: ActionType, result: Record<string, unknown>): void {
  const schema = actionDefinition(type).result as { properties: Record<string, { type: string }> };
  for (const [k, v] of Object.entries(result)) {
    const prop = schema.properties[k];
    expect(prop, `${type} result key ${k}`).toBeDefined();
    const t = prop!.type === 'integer' ? 'number' : prop!.type === 'array' ? 'object' : prop!.type;
    expect(typeof v, `${type}.${k}`).toBe(t);
    if (prop!.type === 'integer') expect(Number.isInteger(v)).toBe(true);
  }
}

describe('enrollment', () => {
  it('enrolls over the pinned certificate and stores a private key only root can read', async () => {
    const config = await enrolled();
    expect(config.deviceId).toMatch(/^dev-/);
    expect(config.certSha256).toBe(cert.sha256);
    expect(statSync(join(config.stateDir, 'agent-key.pem')).mode & 0o777).toBe(0o600);
    expect(server.devices.has(config.deviceId!)).toBe(true);
  });

  it('refuses a server whose certificate is not the pinned one, before sending the token', async () => {
    const before = server.httpRequests;
    const token = server.token('ab'.repeat(32));
    await expect(
      enroll({ serverUrl: server.url, token, configPath, inventory: INVENTORY }),
    ).rejects.toBeInstanceOf(PinMismatchError);
    expect(server.httpRequests).toBe(before);
    expect(existsSync(configPath)).toBe(false);
  });

  it('refuses a malformed token and shows the server message when it refuses', async () => {
    await expect(
      enroll({ serverUrl: server.url, token: 'qe1.only-two', configPath, inventory: INVENTORY }),
    ).rejects.toBeInstanceOf(TokenFormatError);
    const unknown = `qe1.notissued123.${cert.sha256}`;
    const err = await enroll({
      serverUrl: server.url,
      token: unknown,
      configPath,
      inventory: INVENTORY,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnrollRefusedError);
    expect((err as Error).message).toContain('the enrollment token is unknown, used or expired');
  });
});

describe('channel', () => {
  it('answers the challenge with a hello the server verifies', async () => {
    const config = await enrolled();
    await startAgent(config);
    const hello = await server.until(() => server.hellos[0], 'hello');
    expect(hello.valid).toBe(true);
    expect(hello.msg).toMatchObject({
      type: 'hello',
      deviceId: config.deviceId,
      protocol: 1,
      running: [],
      inventory: INVENTORY,
    });
  });

  it('sends heartbeats carrying the verified state', async () => {
    const config = await enrolled();
    await startAgent(config);
    const hb = await server.waitFor('heartbeat');
    expect(hb.state.isolation.state).toBe('off');
  });

  it('reconnects with backoff after the server closes the socket', async () => {
    const config = await enrolled();
    await startAgent(config);
    await server.until(() => server.hellos.length === 1, 'first hello');
    server.closeAgents(1001, 'restarting');
    await server.until(() => server.hellos.length === 2, 'hello after reconnect', 3_000);
    expect(server.hellos[1]!.valid).toBe(true);
  });

  it('stops reconnecting when the device is revoked', async () => {
    const config = await enrolled();
    const rt = await startAgent(config);
    await server.until(() => server.hellos.length === 1, 'hello');
    const connections = server.connections;
    server.closeAgents(4003, 'revoked');
    await expect(rt.whenStopped()).resolves.toBe('revoked');
    await new Promise((r) => setTimeout(r, 500));
    expect(server.connections).toBe(connections);
  });
});

describe('commands', () => {
  it('runs a valid command once and the server acknowledges its result', async () => {
    const config = await enrolled();
    const ports = fakePorts();
    await startAgent(config, ports);
    await server.until(() => server.openSockets, 'connection');
    const cmd = command(config, 'run_av_scan', { scope: 'full' });
    server.sendCommand(cmd);
    expect((await server.waitFor('ack', (a) => a.actionId === cmd.actionId)).status).toBe('accepted');
    const result = await server.waitFor('result', (r) => r.actionId === cmd.actionId);
    expect(result).toMatchObject({
      status: 'succeeded',
      result: { filesScanned: 1000, detections: 1, engines: ['hash', 'yara'] },
    });
    expect(result.detections).toHaveLength(1);
    expectCatalogShape('run_av_scan', result.result);
    expect(
      server.count('progress', (m) => m.type === 'progress' && m.actionId === cmd.actionId),
    ).toBeLessThanOrEqual(2);
    expect(ports.scanner.runs).toBe(1);
    await server.until(
      () => readdirSync(join(config.stateDir, 'outbox')).length === 0,
      'outbox emptied by result_ack',
    );
  });

  it('answers a re-delivered command with duplicate and the stored result, also after a restart', async () => {
    const config = await enrolled();
    const ports = fakePorts();
    const rt = await startAgent(config, ports);
    await server.until(() => server.openSockets, 'connection');
    const cmd = command(config, 'run_av_scan');
    server.sendCommand(cmd);
    await server.waitFor('result', (r) => r.actionId === cmd.actionId);
    server.sendCommand(cmd);
    await server.waitFor('ack', (a) => a.actionId === cmd.actionId && a.status === 'duplicate');
    await server.until(
      () => server.count('result', (m) => m.type === 'result' && m.actionId === cmd.actionId) === 2,
      'stored result',
    );
    await stopAgent(rt);

    server.reset();
    await startAgent(config, ports);
    await server.until(() => server.openSockets, 'reconnection');
    server.sendCommand(cmd);
    await server.waitFor('ack', (a) => a.actionId === cmd.actionId && a.status === 'duplicate');
    const again = await server.waitFor('result', (r) => r.actionId === cmd.actionId);
    expect(again.status).toBe('succeeded');
    expect(ports.scanner.runs).toBe(1);
  });

  it.each([
    ['a bad signature', (c: Command) => ({ cmd: c, sig: sigWithOtherKey(c) }), 'bad signature'],
    [
      'another device id',
      (c: Command) => ({ cmd: { ...c, deviceId: 'dev-other' }, sig: undefined }),
      'not this one',
    ],
    [
      'a past expiry',
      (c: Command) => ({ cmd: { ...c, expiresAt: Date.now() - 1_000 }, sig: undefined }),
      'expired',
    ],
  ])('refuses a command with %s and does not run it', async (_name, mutate, reason) => {
    const config = await enrolled();
    const ports = fakePorts();
    await startAgent(config, ports);
    await server.until(() => server.openSockets, 'connection');
    const { cmd, sig } = mutate(command(config, 'run_av_scan'));
    server.sendCommand(cmd, sig ?? server.sign(cmd));
    const ack = await server.waitFor('ack', (a) => a.actionId === cmd.actionId);
    expect(ack.status).toBe('refused');
    expect(ack.reason).toContain(reason);
    await new Promise((r) => setTimeout(r, 200));
    expect(ports.scanner.runs).toBe(0);
    expect(server.count('result')).toBe(0);
  });

  it('keeps a result through a disconnect and re-sends it until acknowledged', async () => {
    const config = await enrolled();
    await startAgent(config);
    await server.until(() => server.openSockets, 'connection');
    server.ackResults = false;
    const cmd = command(config, 'run_av_scan');
    server.sendCommand(cmd);
    await server.waitFor('result', (r) => r.actionId === cmd.actionId);
    expect(readdirSync(join(config.stateDir, 'outbox'))).toHaveLength(1);
    server.ackResults = true;
    server.closeAgents(1001);
    await server.until(
      () => server.count('result', (m) => m.type === 'result' && m.actionId === cmd.actionId) === 2,
      'result re-sent after reconnect',
      3_000,
    );
    await server.until(() => readdirSync(join(config.stateDir, 'outbox')).length === 0, 'outbox emptied');
  });

  it('cancels a running job', async () => {
    const config = await enrolled();
    const ports = fakePorts();
    ports.scanner.hang = true;
    await startAgent(config, ports);
    await server.until(() => server.openSockets, 'connection');
    const cmd = command(config, 'run_av_scan');
    server.sendCommand(cmd);
    await server.waitFor('ack', (a) => a.actionId === cmd.actionId && a.status === 'accepted');
    server.send({ type: 'cancel', actionId: cmd.actionId });
    const result = await server.waitFor('result', (r) => r.actionId === cmd.actionId);
    expect(result.status).toBe('cancelled');
  });

  it('fails a job that outlives its timeout, even when the handler ignores the signal', async () => {
    const config = await enrolled();
    const ports = fakePorts();
    ports.scanner.hang = true;
    ports.scanner.ignoreAbort = true;
    await startAgent(config, ports);
    await server.until(() => server.openSockets, 'connection');
    const cmd = command(config, 'run_av_scan', {}, { timeoutMs: 300 });
    server.sendCommand(cmd);
    const result = await server.waitFor('result', (r) => r.actionId === cmd.actionId);
    expect(result.status).toBe('failed');
    expect(result.error).toContain('timed out after 300 ms');
  });
});

describe('state actions and desired state', () => {
  it('isolates with a verified read-back and releases again', async () => {
    const config = await enrolled();
    const ports = fakePorts();
    await startAgent(config, ports);
    await server.until(() => server.openSockets, 'connection');
    const iso = command(config, 'isolate_device', { mode: 'full', allowDns: true });
    server.sendCommand(iso);
    const r = await server.waitFor('result', (m) => m.actionId === iso.actionId);
    expect(r.status).toBe('succeeded');
    expect(r.result).toMatchObject({ verified: true, reachedServer: true });
    expectCatalogShape('isolate_device', r.result);
    expect(ports.firewall.table?.management).toEqual([{ address: '127.0.0.1', port: server.port }]);
    await server.waitFor(
      'state',
      (s) => s.state.isolation.state === 'on' && s.state.isolation.actionId === iso.actionId,
    );
    const desired = JSON.parse(await readFile(join(config.stateDir, 'desired-state.json'), 'utf8'));
    expect(desired.isolation).toMatchObject({
      actionId: iso.actionId,
      spec: { mode: 'full', allowDns: true },
    });

    const rel = command(config, 'release_device');
    server.sendCommand(rel);
    const r2 = await server.waitFor('result', (m) => m.actionId === rel.actionId);
    expect(r2).toMatchObject({ status: 'succeeded', result: { verified: true } });
    expect(ports.firewall.table).toBeNull();
  });

  it('re-applies desired isolation from disk at start, before saying hello', async () => {
    const config = await enrolled();
    const spec = { mode: 'full', exclusions: [], allowDns: false, allowDhcp: false };
    await mkdir(config.stateDir, { recursive: true });
    await writeFile(
      join(config.stateDir, 'desired-state.json'),
      JSON.stringify({
        isolation: { spec, actionId: 'act-old', management: [{ address: '127.0.0.1', port: server.port }] },
        restriction: { actionId: 'act-r', allowSha256: [] },
      }),
    );
    const ports = fakePorts();
    await startAgent(config, ports);
    expect(ports.firewall.table?.spec).toEqual(spec);
    expect(ports.execControl.st.state).toBe('on');
    const hello = await server.until(() => server.hellos[0], 'hello');
    const state = (hello.msg as Extract<typeof hello.msg, { type: 'hello' }>).state;
    expect(state.isolation).toMatchObject({ state: 'on', actionId: 'act-old' });
    expect(state.restriction).toMatchObject({ state: 'on', actionId: 'act-r' });
  });

  it('restricts and un-restricts app execution, verified from the helper status', async () => {
    const config = await enrolled();
    const ports = fakePorts();
    await startAgent(config, ports);
    await server.until(() => server.openSockets, 'connection');
    const on = command(config, 'restrict_app_execution');
    server.sendCommand(on);
    expect(await server.waitFor('result', (m) => m.actionId === on.actionId)).toMatchObject({
      status: 'succeeded',
      result: { verified: true },
    });
    ports.execControl.emit({ kind: 'helper_crashed', error: 'segfault', at: Date.now() });
    await server.waitFor('state', (s) => s.state.issues.some((i) => i.includes('segfault')));
    const off = command(config, 'remove_app_restriction');
    server.sendCommand(off);
    expect(await server.waitFor('result', (m) => m.actionId === off.actionId)).toMatchObject({
      status: 'succeeded',
      result: { verified: true },
    });
  });

  it('blocks hash indicators through the exec control without reporting the device restricted', async () => {
    const config = await enrolled();
    const ports = fakePorts();
    const events: AgentEvent[] = [];
    const rt = await AgentRuntime.create({
      config,
      ports,
      inventory: async () => INVENTORY,
      random: () => 0.5,
      backoff: { firstMs: 40, baseMs: 80, maxMs: 300 },
      events: { emit: (e) => events.push(e) },
    });
    runtimes.push(rt);
    await rt.start();
    await server.until(() => server.openSockets, 'connection');
    const blocked = createHash('sha256').update('blocked tool').digest('hex');
    server.send({
      type: 'indicators_snapshot',
      version: 3,
      first: true,
      nextCursor: null,
      indicators: [
        {
          id: 'ind-block',
          type: 'sha256',
          value: blocked,
          action: 'block',
          groupScoped: false,
          generateAlert: true,
          severity: 'high',
          title: 'blocked tool',
          expiresAt: null,
        },
      ],
    });
    await server.until(() => ports.execControl.blocklist, 'blocklist set');
    expect(ports.execControl.st).toMatchObject({ state: 'on', mode: 'blocklist' });
    expect(
      ports.execControl.blocklist!.decide({ sha256: blocked, sha1: '0'.repeat(40), md5: '0'.repeat(32) }),
    ).toEqual({
      verdict: 'block',
      indicatorId: 'ind-block',
    });
    expect(rt.state.restriction.state).toBe('off');

    ports.execControl.emit({
      kind: 'denied',
      path: '/tmp/tool',
      pid: 42,
      sha256: blocked,
      reason: 'blocked_indicator',
      indicatorId: 'ind-block',
      at: 1,
    });
    expect(events).toEqual([
      {
        kind: 'exec_denied',
        path: '/tmp/tool',
        pid: 42,
        sha256: blocked,
        reason: 'blocked_indicator',
        indicatorId: 'ind-block',
        at: 1,
      },
    ]);

    server.send({ type: 'indicators_snapshot', version: 4, first: true, nextCursor: null, indicators: [] });
    await server.until(() => ports.execControl.blocklist === null, 'blocklist cleared');
    expect(ports.execControl.st).toMatchObject({ state: 'off', mode: 'off' });
  });

  it('rolls isolation back when the server becomes unreachable', async () => {
    const { FirewallIsolationEnforcer } = await import('../src/enforcement/firewall-isolation.enforcer.js');
    const fw = new FakeFirewall();
    const enforcer = new FirewallIsolationEnforcer(fw, { probeEveryMs: 20 });
    const target = {
      spec: { mode: 'full' as const, exclusions: [], allowDns: false, allowDhcp: false },
      management: [],
    };
    const out = await enforcer.applySafely(target, async () => false, { rollbackWithinMs: 150 });
    expect(out).toMatchObject({ verified: false, reachedServer: false, rolledBack: true });
    expect(out.error).toContain('rolled back');
    expect(fw.table).toBeNull();
  });
});

describe('uploads', () => {
  it('collects a package and streams it; the server stores the same sha256', async () => {
    const config = await enrolled();
    const ports = fakePorts();
    await startAgent(config, ports);
    await server.until(() => server.openSockets, 'connection');
    const cmd = command(config, 'collect_investigation_package');
    server.sendCommand(cmd);
    const r = await server.waitFor('result', (m) => m.actionId === cmd.actionId);
    expect(r.status).toBe('succeeded');
    expectCatalogShape('collect_investigation_package', r.result);
    expect(r.result).toMatchObject({ sizeBytes: 700_000, items: 2, itemErrors: 1 });
    const up = server.uploads.find((u) => u.actionId === cmd.actionId)!;
    expect(up.sha256).toBe(r.result.blobSha256);
    expect(up.data.length).toBe(700_000);
    expect(server.count('stream_data')).toBe(3);
    expect(existsSync(ports.collector.lastZip!)).toBe(false);
  });
});

describe('config', () => {
  it('reports every bad key at once', async () => {
    const { configProblems } = await import('../src/config/agent-config.js');
    const problems = configProblems({
      serverUrl: 'http://x',
      certSha256: 'nope',
      scan: { cpuLimit: 'lots' },
      bogus: 1,
    });
    expect(problems.join('\n')).toMatch(/serverUrl/);
    expect(problems.join('\n')).toMatch(/certSha256/);
    expect(problems.join('\n')).toMatch(/cpuLimit/);
    expect(problems.join('\n')).toMatch(/bogus|unknown/);
  });

  it('fills defaults', () => {
    const c = withDefaults({ serverUrl: 'https://q.example:8443', certSha256: 'a'.repeat(64) });
    expect(c).toMatchObject({
      stateDir: '/var/lib/quell-agent',
      fsRoot: '/',
      nft: { table: 'quell' },
      scan: { cpuLimit: 0.5 },
      execControl: { marks: ['/'] },
    });
  });
});

function sigWithOtherKey(c: Command): string {
  return server.sign(c, generateKeyPairSync('ed25519').privateKey);
}
