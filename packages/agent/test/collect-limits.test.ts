import { openAsBlob } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobReader, TextWriter, ZipReader } from '@zip.js/zip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectionAbortedError, InvestigationCollector } from '../src/collect/index.js';
import type { CatalogItem, PackageSummary } from '../src/collect/index.js';

let base: string;
let fsRoot: string;
let n = 0;

/** 4000 numbered lines: a cut shows exactly where it was made. */
const LOG = Array.from({ length: 4000 }, (_, i) => `line ${String(i).padStart(5, '0')}\n`).join('');

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'quell-collect-limits-'));
  fsRoot = path.join(base, 'root');
  await mkdir(path.join(fsRoot, 'var/log'), { recursive: true });
  await writeFile(path.join(fsRoot, 'var/log/syslog'), LOG);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function run(catalog: CatalogItem[], opts: { maxFileBytes?: number; commandTimeoutMs?: number } = {}) {
  const workDir = path.join(base, `work-${n++}`);
  await mkdir(workDir);
  const collector = new InvestigationCollector({ fsRoot, catalog, hostname: 'h', ...opts });
  const report = await collector.collect(workDir, {
    signal: new AbortController().signal,
    progress: () => {},
  });
  const reader = new ZipReader(new BlobReader(await openAsBlob(report.zipPath)));
  const files = new Map<string, string>();
  for (const e of await reader.getEntries())
    if (!e.directory) files.set(e.filename, await e.getData(new TextWriter()));
  await reader.close();
  return { report, files, summary: JSON.parse(files.get('summary.json')!) as PackageSummary };
}

const command = (id: string, cmd: string, args: string[]): CatalogItem => ({
  id,
  category: 'system',
  title: id,
  kind: 'command',
  command: cmd,
  args,
  output: `${id}.txt`,
});

describe('investigation package limits', () => {
  it('cuts a large file at maxFileBytes and says so', async () => {
    const item: CatalogItem = {
      id: 'log',
      category: 'logs',
      title: 'log',
      kind: 'files',
      root: 'fs',
      paths: ['var/log/syslog'],
    };
    const { files, summary } = await run([item], { maxFileBytes: 1000 });
    expect(files.get('logs/log/var/log/syslog')).toBe(LOG.slice(0, 1000));
    expect(summary.items[0]).toMatchObject({ status: 'collected', bytes: 1000, truncated: true });
    expect(files.get('summary.txt')).toContain('truncated');
  });

  it('keeps the end of a log read as a tail', async () => {
    const item: CatalogItem = {
      id: 'log',
      category: 'logs',
      title: 'log',
      kind: 'files',
      root: 'fs',
      paths: ['var/log/syslog'],
      read: 'tail',
    };
    const { files, summary } = await run([item], { maxFileBytes: 1000 });
    expect(files.get('logs/log/var/log/syslog')).toBe(LOG.slice(-1000));
    expect(summary.items[0]).toMatchObject({
      truncated: true,
      note: `kept the last 1000 of ${LOG.length} bytes`,
    });
  });

  it('kills a command that outlives the timeout and keeps its output so far', async () => {
    const started = Date.now();
    const { files, summary } = await run([command('slow', 'sh', ['-c', 'echo started; exec sleep 30'])], {
      commandTimeoutMs: 500,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(files.get('system/slow.txt')).toBe('started\n');
    expect(summary.items[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/did not finish within 500 ms/),
    });
  });

  it('records a command that is not installed as missing and one that fails with its stderr', async () => {
    const { files, summary } = await run([
      command('absent', 'quell-no-such-tool', []),
      command('broken', 'sh', ['-c', 'echo oops >&2; exit 3']),
    ]);
    expect(summary.items).toEqual([
      expect.objectContaining({
        item: 'absent',
        status: 'missing',
        error: expect.stringMatching(/not installed/),
      }),
      expect.objectContaining({
        item: 'broken',
        status: 'failed',
        error: expect.stringMatching(/exited with code 3: oops/),
      }),
    ]);
    expect([...files.keys()].sort()).toEqual(['summary.json', 'summary.txt']);
  });

  it('stops promptly on abort, deletes the partial zip and rejects with CollectionAbortedError', async () => {
    const workDir = path.join(base, 'aborted');
    await mkdir(workDir);
    const ac = new AbortController();
    const collector = new InvestigationCollector({
      fsRoot,
      catalog: [
        command('first', 'echo', ['hi']),
        command('slow', 'sleep', ['30']),
        command('never', 'echo', ['no']),
      ],
      commandTimeoutMs: 60_000,
    });
    const started = Date.now();
    const done = collector.collect(workDir, {
      signal: ac.signal,
      progress: (i) => {
        if (i === 1) setTimeout(() => ac.abort(), 200);
      },
    });
    await expect(done).rejects.toBeInstanceOf(CollectionAbortedError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await readdir(workDir)).toEqual([]);
  });
});
