import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../log.js';
import { PathWatcher } from './path-watcher.js';

const dirs: string[] = [];
const watchers: PathWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(opts: { maxDirs?: number; exclude?: (root: string) => string[] } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'quell-watch-'));
  dirs.push(root);
  const seen: string[] = [];
  const warnings: Record<string, unknown>[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn: (_m, f) => void warnings.push(f ?? {}),
    error() {},
  };
  const w = new PathWatcher({
    roots: [root],
    onFile: (p) => seen.push(p),
    settleMs: 50,
    log,
    ...(opts.maxDirs ? { maxDirs: opts.maxDirs } : {}),
    ...(opts.exclude ? { exclude: opts.exclude(root) } : {}),
  });
  watchers.push(w);
  return { root, seen, warnings, w };
}
const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('not in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PathWatcher', () => {
  it('reports a file once after a burst of writes', async () => {
    const { root, seen, w } = setup();
    await w.start();
    const f = join(root, 'a');
    for (let i = 0; i < 5; i++) writeFileSync(f, `x${i}`);
    await until(() => seen.length > 0);
    await sleep(200);
    expect(seen).toEqual([f]);
  });

  it('skips excluded subtrees', async () => {
    const { root, seen, w } = setup({ exclude: (r) => [join(r, 'state')] });
    mkdirSync(join(root, 'state'));
    await w.start();
    writeFileSync(join(root, 'state', 'vault.bin'), 'x');
    writeFileSync(join(root, 'b'), 'x');
    await until(() => seen.length > 0);
    await sleep(200);
    expect(seen).toEqual([join(root, 'b')]);
  });

  it('stops adding directories at its limit and says so once', async () => {
    const { root, seen, warnings, w } = setup({ maxDirs: 2 });
    mkdirSync(join(root, 'one'));
    mkdirSync(join(root, 'two'));
    await w.start();
    expect(w.watched).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ why: expect.stringMatching(/maxWatchedDirs \(2\)/) });
    mkdirSync(join(root, 'three'));
    await sleep(150);
    writeFileSync(join(root, 'three', 'c'), 'x');
    await sleep(200);
    expect(seen).toEqual([]);
    expect(warnings).toHaveLength(1);
  });
});
