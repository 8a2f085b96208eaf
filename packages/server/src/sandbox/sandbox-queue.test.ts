import { describe, expect, it } from 'vitest';
import type { Ids } from '../ports.js';
import type { SandboxReport } from './report.schema.js';
import type { DetonationInput, SandboxRunner } from './sandbox-runner.js';
import { SandboxQueue, type SandboxJob } from './sandbox-queue.js';

/** A runner whose detonations end when the test says so. */
class ManualRunner implements SandboxRunner {
  readonly started: {
    input: DetonationInput;
    signal: AbortSignal;
    finish: (r: SandboxReport) => void;
    fail: (e: Error) => void;
  }[] = [];
  detonate(input: DetonationInput, signal?: AbortSignal): Promise<SandboxReport> {
    return new Promise((resolve, reject) => {
      const s = signal as AbortSignal;
      s.addEventListener('abort', () => reject(s.reason));
      this.started.push({ input, signal: s, finish: resolve, fail: reject });
    });
  }
}

const counterIds = (): Ids => {
  let n = 0;
  return { next: (prefix) => `${prefix}_${++n}` };
};
const input = (name: string): DetonationInput => ({ path: `/in/${name}`, name, outputDir: `/out/${name}` });
const report = { status: 'completed' } as SandboxReport;
const settle = () => new Promise((r) => setImmediate(r));

describe('sandbox queue', () => {
  it('runs jobs first in, first out, within the concurrency', async () => {
    const runner = new ManualRunner();
    const statuses: string[] = [];
    const q = new SandboxQueue(runner, counterIds(), {
      concurrency: 2,
      onChange: (j) => statuses.push(`${j.id}:${j.status}`),
    });
    const [a, b, c] = ['a', 'b', 'c'].map((n) => q.submit(input(n))) as SandboxJob[];
    expect(runner.started.map((s) => s.input.name)).toEqual(['a', 'b']);
    expect(q.get(c?.id as string).status).toBe('queued');

    runner.started[0]?.finish(report);
    await settle();
    expect(runner.started.map((s) => s.input.name)).toEqual(['a', 'b', 'c']);
    expect(await q.wait(a?.id as string)).toMatchObject({ status: 'done', report });

    runner.started[1]?.fail(new Error('bwrap exploded'));
    expect(await q.wait(b?.id as string)).toMatchObject({ status: 'failed', error: 'bwrap exploded' });
    expect(statuses.slice(0, 5)).toEqual([
      'sbx_1:queued',
      'sbx_1:running',
      'sbx_2:queued',
      'sbx_2:running',
      'sbx_3:queued',
    ]);
  });

  it('cancels a queued job before it starts and a running one by aborting it', async () => {
    const runner = new ManualRunner();
    const q = new SandboxQueue(runner, counterIds());
    const running = q.submit(input('a'));
    const waiting = q.submit(input('b'));

    expect(q.cancel(waiting.id)).toBe(true);
    expect(await q.wait(waiting.id)).toMatchObject({ status: 'cancelled' });
    expect(q.cancel(running.id)).toBe(true);
    expect(runner.started[0]?.signal.aborted).toBe(true);
    expect(await q.wait(running.id)).toMatchObject({ status: 'cancelled' });
    expect(q.cancel(running.id)).toBe(false);
    expect(runner.started).toHaveLength(1);
  });

  it('refuses jobs when the queue is full and unknown ids', () => {
    const q = new SandboxQueue(new ManualRunner(), counterIds(), { maxQueued: 1 });
    q.submit(input('running'));
    q.submit(input('waiting'));
    expect(() => q.submit(input('one too many'))).toThrow(/queue is full/);
    expect(() => q.get('sbx_404')).toThrow(/No sandbox job/);
  });
});
