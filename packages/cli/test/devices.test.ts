import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AgentState,
  Command,
  DeviceDetail,
  EnrollmentToken,
  EnrollmentTokenCreated,
} from '@quell/contracts';
import { loadConfig, startServer, type RunningServer } from '@quell/server';
import {
  FakeAgent,
  agentKeyPair,
  enrollOverHttps,
  inventory,
  type CannedResult,
} from '../../server/test/support/fake-agent.js';
import { ADMIN, buildCli, cleanEnv, json, runCli, type CliResult, type RunOptions } from './harness.js';
import type { Action, Page } from './types.js';

const HOST = 'web01.devices.test';
/** Bytes the fake agent uploads as its investigation package; any bytes do, the server stores a blob. */
const PACKAGE = Buffer.from('PK\u0003\u0004 fake investigation package for the CLI test');

/** The fake agent's verified state after a command, as the real agent reports what it read back. */
function stateAfter(prev: AgentState, cmd: Command): AgentState {
  const checkedAt = Date.now();
  const p = cmd.params as {
    mode?: 'full' | 'selective';
    exclusions?: NonNullable<AgentState['isolation']['isolation']>['exclusions'];
    allowDns?: boolean;
    allowDhcp?: boolean;
  };
  const base = { checkedAt, actionId: cmd.actionId, error: null };
  switch (cmd.type) {
    case 'isolate_device':
      return {
        ...prev,
        isolation: {
          ...base,
          state: 'on',
          evidence: 'nft ruleset sha256:abc123',
          isolation: {
            mode: p.mode ?? 'full',
            exclusions: p.exclusions ?? [],
            allowDns: p.allowDns ?? false,
            allowDhcp: p.allowDhcp ?? false,
          },
        },
      };
    case 'release_device':
      return { ...prev, isolation: { ...base, state: 'off', evidence: null } };
    default:
      return prev;
  }
}

/**
 * The CLI against a real server with a protocol-level fake agent. The server runs with its agent
 * listener on a free port (the shared harness binds the default one, which parallel files share).
 */
describe('quell devices, device, packages, tokens enroll and yara', () => {
  let server: RunningServer;
  let dir: string;
  let run: (args: string[], opts?: RunOptions) => Promise<CliResult>;
  let agent: FakeAgent;

  const show = async () =>
    json<DeviceDetail & { recentActions: Action[] }>(await run(['devices', 'show', HOST, '--json']));
  const actionsOn = async (entity: string) =>
    json<Page<Action>>(await run(['actions', 'list', '--entity', entity, '--view', 'all', '--json'])).items;

  beforeAll(async () => {
    await buildCli();
    dir = mkdtempSync(join(tmpdir(), 'quell-cli-devices-'));
    process.env.QUELL_ADMIN_EMAIL = ADMIN.email;
    process.env.QUELL_ADMIN_PASSWORD = ADMIN.password;
    const config = loadConfig(
      { QUELL_ADMIN_EMAIL: ADMIN.email, QUELL_ADMIN_PASSWORD: ADMIN.password },
      { dataDir: join(dir, 'data'), port: 0, agentPort: 0, logLevel: 'silent' },
    );
    server = await startServer(config);
    const home = join(dir, 'home');
    mkdirSync(home);
    const base = cleanEnv(home);
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ADMIN, mode: 'token' }),
    });
    const { token } = (await login.json()) as { token: string };
    run = (args, opts) => runCli(args, { ...base, QUELL_URL: server.url, QUELL_TOKEN: token }, opts);
  });
  afterAll(async () => {
    await agent?.disconnect();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates an enrollment token, prints it once with the enroll command, lists and revokes another', async () => {
    const r = await run([
      'tokens',
      'enroll',
      'create',
      '--label',
      'rollout',
      '--expires-hours',
      '2',
      '--tag',
      'dmz',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [, token] = /--token (\S+)/.exec(r.stdout) ?? [];
    expect(token).toMatch(/^qe1\./);
    expect(r.stdout).toMatch(
      new RegExp(`quell agent enroll --server https://\\S+ --token ${token!.replace(/[.+]/g, '\\$&')}`),
    );
    expect(r.stderr).toContain('shown only once');

    const spare = json<EnrollmentTokenCreated>(
      await run(['tokens', 'enroll', 'create', '--label', 'spare', '--json']),
    );
    const listed = json<{ items: EnrollmentToken[] }>(
      await run(['tokens', 'enroll', 'list', '--json']),
    ).items;
    expect(listed.map((t) => [t.label, t.status])).toEqual(
      expect.arrayContaining([
        ['rollout', 'active'],
        ['spare', 'active'],
      ]),
    );
    expect(JSON.stringify(listed)).not.toContain(token);
    expect((await run(['tokens', 'enroll', 'revoke', spare.id])).stdout).toContain(
      `enrollment token ${spare.id} revoked`,
    );
    expect((await run(['tokens', 'enroll', 'list'])).stdout).toMatch(/spare +│ revoked/);
    // The API-token commands under `quell tokens` are untouched by the new group.
    expect((await run(['tokens', 'list'])).code).toBe(0);
  });

  it('lists and shows an enrolled device with its verified state', async () => {
    const t = json<EnrollmentTokenCreated>(
      await run(['tokens', 'enroll', 'create', '--label', HOST, '--json']),
    );
    const keys = agentKeyPair();
    const enrolled = await enrollOverHttps(t.agentUrl, t.certSha256, {
      token: t.token,
      publicKey: keys.publicKeyB64,
      inventory: inventory(HOST),
    });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
    agent = new FakeAgent({
      agentUrl: t.agentUrl,
      certSha256: t.certSha256,
      deviceId: enrolled.body.deviceId,
      hostname: HOST,
      privateKey: keys.privateKey,
      serverPublicKey: enrolled.body.serverPublicKey,
      answer: (cmd): CannedResult => {
        agent.setState(stateAfter(agent.state, cmd));
        if (cmd.type === 'collect_investigation_package') {
          return {
            status: 'succeeded',
            upload: PACKAGE,
            result: {
              blobSha256: createHash('sha256').update(PACKAGE).digest('hex'),
              sizeBytes: PACKAGE.length,
              items: 3,
              itemErrors: 0,
            },
          };
        }
        return {
          status: 'succeeded',
          result:
            cmd.type === 'isolate_device' ? { verified: true, rulesetHash: 'abc123' } : { verified: true },
        };
      },
    });
    await agent.connect();

    const list = await run(['devices', 'list', '--enrolled']);
    expect(list.stdout).toMatch(
      new RegExp(`${HOST.replace(/\./g, '\\.')} +│ Debian GNU/Linux +│ online +│ .+│ off +│ off`),
    );
    const d = await show();
    expect(d).toMatchObject({ hostname: HOST, enrolled: true, health: 'online', kernel: '6.1.0-test' });
    const text = (await run(['devices', 'show', HOST])).stdout;
    expect(text).toContain('Verified state');
    expect(text).toMatch(/isolation +│ off/);
  });

  it('refuses a malformed --exclude with a clear usage error and requests nothing', async () => {
    const r = await run(['device', 'isolate', HOST, '--selective', '--exclude', '10.0.0.5/32:99999/tcp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('port "99999" is not 1-65535');
    expect(r.stderr).toContain('REMOTE[:PORT[/PROTOCOL[/DIRECTION]]]');
    const noSelective = await run(['device', 'isolate', HOST, '--exclude', '10.0.0.5']);
    expect(noSelective.code).toBe(1);
    expect(noSelective.stderr).toContain('--exclude needs --selective');
    expect(await actionsOn(HOST)).toEqual([]);
  });

  it('isolates selectively with --wait, prints the verified state with its exclusions, and releases', async () => {
    const r = await run([
      'device',
      'isolate',
      HOST,
      '--selective',
      '--exclude',
      '10.0.0.5/32:443/tcp/outbound',
      '--allow-dns',
      '--comment',
      'contain',
      '--wait',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${HOST} isolation: on (nft ruleset sha256:abc123`);
    expect(r.stdout).toContain('allow 10.0.0.5/32:443/tcp/outbound');
    expect((await show()).isolation).toMatchObject({
      state: 'on',
      isolation: { mode: 'selective', allowDns: true },
    });

    const released = await run(['device', 'release', HOST, '--wait']);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toContain(`${HOST} isolation: off`);
    const d = await show();
    expect(d.isolation.state).toBe('off');
    expect(d.recentActions.map((a) => a.type)).toEqual(['release_device', 'isolate_device']);
  });

  it('collects a package with --download and downloads it again with quell packages', async () => {
    const out = join(dir, 'pkg.zip');
    const r = await run(['device', 'collect', HOST, '--download', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${out} (${PACKAGE.length} bytes)`);
    expect(readFileSync(out)).toEqual(PACKAGE);

    const [collect] = (await actionsOn(HOST)).filter((a) => a.type === 'collect_investigation_package');
    const again = join(dir, 'again.zip');
    const d = await run(['packages', 'download', collect!.id, '-o', again]);
    expect(d.code, d.stderr).toBe(0);
    expect(readFileSync(again)).toEqual(PACKAGE);
  });

  it('says when --wait stops at a pending approval (exit 3) or gives up on an offline device (exit 4)', async () => {
    expect((await run(['settings', 'set', '--two-person-rule', 'on'])).code).toBe(0);
    const pending = await run(['device', 'isolate', HOST, '--wait']);
    expect(pending.code).toBe(3);
    expect(pending.stderr).toMatch(/waits for approval .*quell actions approve/);
    expect((await run(['settings', 'set', '--two-person-rule', 'off'])).code).toBe(0);

    await agent.disconnect();
    const scan = await run(['device', 'scan', HOST, '--full', '--wait', '--wait-timeout', '2']);
    expect(scan.code).toBe(4);
    expect(scan.stderr).toMatch(/stopped waiting: action \S+ is still (queued|dispatched)/);
  });

  it('adds, lists and removes a YARA rule', async () => {
    const file = join(dir, 'eicar.yar');
    writeFileSync(
      file,
      'rule eicar_test { strings: $a = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" condition: $a }\n',
    );
    const added = await run(['yara', 'add', 'eicar', file]);
    expect(added.code, added.stderr).toBe(0);
    const id = /YARA rule (\S+) \(eicar\) added/.exec(added.stdout)?.[1];
    expect((await run(['yara', 'list'])).stdout).toMatch(/eicar/);
    expect((await run(['yara', 'remove', id!])).code).toBe(0);
    expect((await run(['yara', 'list'])).stdout).toContain('(no YARA rules)');
  });
});
