import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentMessage, EventsMessage } from '@quell/contracts/agent';
import type { AgentEvent } from './agent-events.js';
import { EventOutbox } from './event-outbox.js';
import { EventReporter, type EventReporterLimits } from './event-reporter.js';
import { execControlEvent } from './exec-events.js';

const SHA = (c: string) => c.repeat(64);
const observed = (path: string, sha = SHA('a'), at = 1000): AgentEvent => ({
  kind: 'file_observed',
  source: 'exec',
  path,
  sha256: sha,
  sha1: null,
  md5: null,
  size: 10,
  user: 'root',
  at,
});
const denied = (path: string, at = 1000): AgentEvent => ({
  kind: 'exec_denied',
  path,
  pid: 7,
  sha256: SHA('b'),
  reason: 'untrusted',
  indicatorId: null,
  at,
});

describe('EventReporter', () => {
  let dir: string;
  let sent: EventsMessage[];
  let connected: boolean;
  let now: number;
  const reporters: EventReporter[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quell-events-'));
    sent = [];
    connected = true;
    now = 1_000_000;
  });
  afterEach(() => {
    for (const r of reporters.splice(0)) r.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function make(
    limits: Partial<EventReporterLimits> = {},
    outbox: EventOutbox | null = new EventOutbox(dir),
  ) {
    const r = new EventReporter({
      send: (m: AgentMessage) => {
        if (!connected) return false;
        sent.push(m as EventsMessage);
        return true;
      },
      connected: () => connected,
      outbox,
      now: () => now,
      limits: { flushMs: 60_000, ...limits },
    });
    reporters.push(r);
    return r;
  }
  const outboxFiles = () => {
    try {
      return readdirSync(join(dir, 'events-outbox')).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
  };
  const settle = () => new Promise((r) => setTimeout(r, 50));

  it('sends batches of at most maxBatch, one in flight, the next after the ack', async () => {
    const r = make({ maxBatch: 3 });
    for (let i = 0; i < 7; i++) r.emit(observed(`/bin/p${i}`));
    r.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.events.map((e) => (e as { path: string }).path)).toEqual([
      '/bin/p0',
      '/bin/p1',
      '/bin/p2',
    ]);
    r.flush();
    expect(sent).toHaveLength(1);
    r.acked({ type: 'events_ack', batchId: sent[0]!.batchId, status: 'accepted' });
    expect(sent).toHaveLength(2);
    r.acked({ type: 'events_ack', batchId: sent[1]!.batchId, status: 'accepted' });
    r.acked({ type: 'events_ack', batchId: sent[2]!.batchId, status: 'accepted' });
    expect(sent.flatMap((m) => m.events)).toHaveLength(7);
    expect(r.counters).toMatchObject({ sent: 7, accepted: 7 });
    await settle();
  });

  it('sends on its own within flushMs of an event once started, and arms no timer while idle', async () => {
    const r = make({ flushMs: 20 });
    await r.start();
    await new Promise((res) => setTimeout(res, 60));
    expect(sent).toHaveLength(0);
    r.emit(observed('/bin/a'));
    await new Promise((res) => setTimeout(res, 60));
    expect(sent).toHaveLength(1);
  });

  it('reports the same file at the same path once within the dedup window, again after it', () => {
    const r = make({ observationDedupMs: 10_000 });
    r.emit(observed('/bin/a'));
    r.emit(observed('/bin/a'));
    r.emit(observed('/bin/b'));
    r.emit(observed('/bin/a', SHA('c')));
    expect(r.queued).toBe(3);
    now += 10_000;
    r.emit(observed('/bin/a'));
    expect(r.queued).toBe(4);
    expect(r.counters.deduplicated).toBe(1);
  });

  it('sends nothing while disconnected and everything once connected', () => {
    connected = false;
    const r = make();
    r.emit(observed('/bin/a'));
    r.flush();
    expect(sent).toHaveLength(0);
    connected = true;
    r.reconnected();
    expect(sent).toHaveLength(1);
  });

  it('drops the oldest observations first when the queue is full, and tells the server how many', async () => {
    const r = make({ maxQueued: 3 });
    r.emit(denied('/tmp/x'));
    for (let i = 0; i < 4; i++) r.emit(observed(`/bin/p${i}`));
    expect(r.queued).toBe(3);
    r.flush();
    expect(sent[0]!.dropped).toBe(2);
    expect(sent[0]!.events.map((e) => e.kind)).toEqual(['exec_denied', 'file_observed', 'file_observed']);
    expect(sent[0]!.events.map((e) => (e as { path: string }).path)).toEqual([
      '/tmp/x',
      '/bin/p2',
      '/bin/p3',
    ]);
    await settle();
  });

  it('keeps security events on disk until accepted, and sends them after a restart', async () => {
    const first = make();
    first.emit(denied('/tmp/evil'));
    first.emit(observed('/bin/ok'));
    first.emit(execControlEvent({ kind: 'helper_crashed', error: 'killed', at: 5 }));
    await settle();
    expect(outboxFiles()).toHaveLength(2);
    first.flush();
    first.stop();
    // The agent restarts before the ack: the in-memory observation is gone, the security events are not.
    const second = make();
    await second.start();
    second.flush();
    const batch = sent.at(-1)!;
    expect(batch.events.map((e) => e.kind).sort()).toEqual(['exec_control_failed_open', 'exec_denied']);
    second.acked({ type: 'events_ack', batchId: batch.batchId, status: 'accepted' });
    await settle();
    expect(outboxFiles()).toHaveLength(0);
  });

  it('re-sends a batch the server asks to retry, after retryAfterMs, and drops a rejected one', async () => {
    const r = make();
    r.emit(denied('/tmp/a'));
    r.flush();
    r.acked({ type: 'events_ack', batchId: sent[0]!.batchId, status: 'retry', retryAfterMs: 5000 });
    r.flush();
    expect(sent).toHaveLength(1);
    now += 5000;
    r.flush();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.events).toEqual(sent[0]!.events);
    r.acked({ type: 'events_ack', batchId: sent[1]!.batchId, status: 'rejected', error: 'bad' });
    expect(r.counters.rejected).toBe(1);
    await settle();
    expect(outboxFiles()).toHaveLength(0);
  });

  it('re-sends the batch in flight after a reconnection', () => {
    const r = make();
    r.emit(observed('/bin/a'));
    r.flush();
    r.reconnected();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.events).toEqual(sent[0]!.events);
    expect(sent[1]!.batchId).not.toBe(sent[0]!.batchId);
  });

  it('does not send an event that does not match the protocol', () => {
    const r = make({}, null);
    r.emit(observed('relative/path/is/fine', 'XYZ'));
    r.emit(observed(''));
    expect(r.queued).toBe(0);
    expect(r.counters.invalid).toBe(2);
  });
});

describe('execControlEvent', () => {
  it('maps a denial to exec_denied (untrusted) and a helper crash to exec_control_failed_open', () => {
    expect(
      execControlEvent({
        kind: 'denied',
        path: '/tmp/x',
        pid: 3,
        sha256: 'AB'.repeat(32),
        reason: 'untrusted',
        indicatorId: null,
        at: 9,
      }),
    ).toEqual({
      kind: 'exec_denied',
      path: '/tmp/x',
      pid: 3,
      sha256: 'ab'.repeat(32),
      reason: 'untrusted',
      indicatorId: null,
      at: 9,
    });
    expect(execControlEvent({ kind: 'helper_crashed', error: 'x'.repeat(3000), at: 1 })).toMatchObject({
      kind: 'exec_control_failed_open',
      error: 'x'.repeat(2000),
    });
  });
  it('keeps the reason and indicator when exec control names a block indicator', () => {
    const e = {
      kind: 'denied',
      path: '/a',
      pid: 1,
      sha256: null,
      at: 1,
      reason: 'blocked_indicator',
      indicatorId: 'ind_1',
    } as const;
    expect(execControlEvent(e)).toMatchObject({ reason: 'blocked_indicator', indicatorId: 'ind_1' });
  });
});

describe('execControlEvent paths', () => {
  it('reports paths under the filesystem root as device paths', () => {
    const e = execControlEvent(
      {
        kind: 'denied',
        path: '/t/root/tmp/x',
        pid: 1,
        sha256: null,
        reason: 'untrusted',
        indicatorId: null,
        at: 1,
      },
      '/t/root',
    );
    expect(e).toMatchObject({ path: '/tmp/x' });
    const outside = execControlEvent(
      {
        kind: 'denied',
        path: '/usr/bin/x',
        pid: 1,
        sha256: null,
        reason: 'untrusted',
        indicatorId: null,
        at: 1,
      },
      '/t/root',
    );
    expect(outside).toMatchObject({ path: '/usr/bin/x' });
  });
});
