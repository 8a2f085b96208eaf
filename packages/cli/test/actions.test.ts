import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action as WireAction } from '@quell/contracts';
import { BaseExecutor } from '@quell/server';
import { json, startTestServer, type CliResult, type TestServer } from './harness.js';
import type { Action, ActionDetail, ApiTokenCreated, Page } from './types.js';

/**
 * Stands in for the endpoint agent (its own package, not wired into the server yet): carries out
 * isolation and release at once, so actions reach `succeeded` and can be undone.
 */
class InstantIsolation extends BaseExecutor {
  readonly kind = 'agent' as const;
  readonly name = 'test isolation executor';
  protected readonly types = ['isolate_device', 'release_device'] as const;
  protected run(action: WireAction): Promise<Record<string, unknown>> {
    return Promise.resolve(action.type === 'isolate_device' ? { verified: true, rulesetHash: 'test' } : {});
  }
}

describe('quell actions', () => {
  let t: TestServer;
  /** A responder API token: under the two-person rule the admin cannot approve their own requests. */
  let second: (args: string[]) => Promise<CliResult>;

  const request = async (host: string, extra: string[] = []) =>
    json<Action>(
      await t.run([
        'actions',
        'request',
        'isolate_device',
        '--target',
        host,
        '--comment',
        'contain',
        '--json',
        ...extra,
      ]),
    );
  const show = async (id: string) => json<ActionDetail>(await t.run(['actions', 'show', id, '--json']));
  const until = async (id: string, status: string) => {
    for (let i = 0; i < 100; i += 1) {
      const a = await show(id);
      if (a.status === status) return a;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`action ${id} never became ${status}`);
  };

  beforeAll(async () => {
    t = await startTestServer();
    t.server.services.executors.register(new InstantIsolation());
    expect((await t.run(['settings', 'set', '--two-person-rule', 'on'])).code).toBe(0);
    const token = json<ApiTokenCreated>(
      await t.run(['tokens', 'create', '--name', 'second-pair-of-eyes', '--role', 'responder', '--json']),
    );
    second = (args) => t.runBare(args, { env: { QUELL_URL: t.url, QUELL_TOKEN: token.secret } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('requests an action that waits for a second person, who approves it; then it runs and can be undone', async () => {
    const readable = await t.run([
      'actions',
      'request',
      'isolate_device',
      '--target',
      'fs01.example',
      '--param',
      'mode=full',
    ]);
    expect(readable.code).toBe(0);
    expect(readable.stdout).toMatch(
      /^action (action_\S+) isolate_device on device:fs01\.example: pending_approval\n/,
    );
    expect(readable.stdout).toContain('two-person rule');
    const id = /^action (action_\S+)/.exec(readable.stdout)![1]!;

    const own = await t.run(['actions', 'approve', id]);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(
      /must be approved by someone other than its requester.*\(QUELL_E_NOT_ALLOWED\)/,
    );

    const approved = await second(['actions', 'approve', id, '--comment', 'confirmed ransomware']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved 1 action');
    const done = await until(id, 'succeeded');
    expect(done.timeline.map((e) => e.to)).toEqual([
      'pending_approval',
      'approved',
      'queued',
      'dispatched',
      'succeeded',
    ]);
    expect(done).toMatchObject({
      decidedBy: 'token:second-pair-of-eyes',
      decisionComment: 'confirmed ransomware',
      policyStatus: 'active',
    });

    const timeline = await t.run(['actions', 'show', id]);
    expect(timeline.stdout).toMatch(/pending_approval +│ approved +│ token:second-pair-of-eyes/);

    const undo = json<Action>(await t.run(['actions', 'undo', id, '--comment', 'false alarm', '--json']));
    expect(undo).toMatchObject({
      type: 'release_device',
      undoOf: id,
      target: { kind: 'device', id: 'fs01.example' },
    });
    expect((await show(id)).undoneBy).toBe(undo.id);
  });

  it('approves several actions at once and rejects others with a comment', async () => {
    const [a, b, c] = [
      await request('ws01.example'),
      await request('ws02.example'),
      await request('ws03.example'),
    ];
    expect([a.status, b.status, c.status]).toEqual([
      'pending_approval',
      'pending_approval',
      'pending_approval',
    ]);

    const bulk = await second(['actions', 'approve', a.id, b.id]);
    expect(bulk.code).toBe(0);
    expect(bulk.stdout).toContain('approved 2 actions');
    expect(bulk.stdout).toContain(a.id);
    expect(bulk.stdout).toContain(b.id);

    const rejected = await second(['actions', 'reject', c.id, '--comment', 'wrong host']);
    expect(rejected.code).toBe(0);
    expect(await show(c.id)).toMatchObject({ status: 'rejected', decisionComment: 'wrong host' });

    const late = await second(['actions', 'reject', a.id, '--comment', 'too late']);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^error: .+ \(QUELL_E_[A-Z_]+\)\n$/);
  });

  it('cancels an action that has not run yet', async () => {
    const a = await request('ws09.example');
    const r = await t.run(['actions', 'cancel', a.id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`action ${a.id}: cancelled`);
  });

  it('refuses an unknown action type before sending anything, pointing at the catalog', async () => {
    const r = await t.run(['actions', 'request', 'nuke_everything', '--target', 'fs01.example']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: unknown action type "nuke_everything"; run `quell actions types` to list them (QUELL_E_INPUT)\n',
    );
    const types = await t.run(['actions', 'types']);
    expect(types.stdout).toContain('isolate_device');
    expect(types.stdout).toContain('release_device');
  });

  it.each([
    [['--param', 'mode=sideways'], 'params.mode must be equal to one of the allowed values'],
    [['--params-json', '{"mode":'], '--params-json is not valid JSON'],
    [['--param', 'novalue'], '--param novalue: write it as key=value'],
    [['--target-kind', 'file'], 'isolate_device acts on a device, not a file'],
  ])('explains a bad request (%j)', async (extra, message) => {
    const r = await t.run(['actions', 'request', 'isolate_device', '--target', 'fs01.example', ...extra]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('lists pending and past actions with filters', async () => {
    const pending = json<Page<Action>>(
      await t.run(['actions', 'list', '--view', 'pending', '--status', 'pending_approval', '--json']),
    );
    expect(pending.items.every((a) => a.status === 'pending_approval')).toBe(true);
    const forHost = json<Page<Action>>(
      await t.run(['actions', 'list', '--view', 'all', '--entity', 'fs01.example', '--json']),
    );
    expect(forHost.items.map((a) => a.type).sort()).toEqual(['isolate_device', 'release_device']);
    const table = await t.run(['actions', 'list', '--view', 'all', '--type', 'release_device']);
    expect(table.stdout).toMatch(/release_device +│ device:fs01\.example/);
  });

  it('exports the Action Center as CSV to stdout or a file', async () => {
    const out = await t.run(['actions', 'export', '--view', 'all']);
    expect(out.code).toBe(0);
    const [header, ...rows] = out.stdout.trim().split('\n');
    expect(header).toMatch(/^id,createdAt,updatedAt,type,title,status/);
    expect(rows.length).toBeGreaterThanOrEqual(6);
    expect(out.stdout).toContain('release_device');

    const path = join(t.dir, 'actions.csv');
    const toFile = await t.run(['actions', 'export', '--type', 'release_device', '--out', path]);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe('');
    const csv = readFileSync(path, 'utf8').trim().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain('release_device');
  });
});
