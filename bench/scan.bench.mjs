// The agent's file scan (FileScanner, hash engine) against `clamscan` with a hash database
// holding the same SHA-256 signatures, over one generated tree of mixed file sizes.
// Target: our hash engine, uncapped, at least as many files/s as clamscan.
//   node bench/scan.bench.mjs [files] [megabytes]
// Env: QUELL_BENCH_SCAN_FILES (20000), QUELL_BENCH_SCAN_MB (500), QUELL_BENCH_SCAN_SIGS (1000),
// QUELL_BENCH_SCAN_CAPPED (1: also run with the default cap, half a core), QUELL_BENCH_DIR,
// QUELL_BENCH_SEED. Build first: npx tsc -b packages/agent.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileScanner } from '../packages/agent/dist/scan/index.js';
import { createRandom } from './lib/prng.mjs';
import { fmt, printTable } from './lib/stats.mjs';

const env = (name, argIndex, fallback) => {
  const v = process.argv[argIndex] ?? process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not "${v}".`);
  return n;
};
const FILES = env('QUELL_BENCH_SCAN_FILES', 2, 20_000);
const MEGABYTES = env('QUELL_BENCH_SCAN_MB', 3, 500);
const SIGNATURES = env('QUELL_BENCH_SCAN_SIGS', undefined, 1_000);
const SEED = env('QUELL_BENCH_SEED', undefined, 20_260_601);
const CAPPED = process.env.QUELL_BENCH_SCAN_CAPPED !== '0';
/** Planted files whose hashes are in both signature sets: both scanners must find all of them. */
const PLANTED = 25;

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/**
 * Sizes like a real disk: mostly small files (configs, scripts, sources), some medium (libraries,
 * images), a few large; scaled so the tree totals about MEGABYTES.
 */
function fileSizes(rand) {
  const raw = [];
  for (let i = 0; i < FILES; i++) {
    const kind = rand.weighted([
      ['small', 80],
      ['medium', 18],
      ['large', 2],
    ]);
    raw.push(
      kind === 'small'
        ? rand.int(100, 16_384)
        : kind === 'medium'
          ? rand.int(16_384, 1 << 20)
          : rand.int(1 << 20, 16 << 20),
    );
  }
  const scale = (MEGABYTES * 2 ** 20) / raw.reduce((s, n) => s + n, 0);
  return raw.map((n) => Math.max(1, Math.round(n * scale)));
}

function buildTree(root, rand) {
  // One pool of seeded bytes; each file is a slice behind a unique header, so every hash differs.
  const pool = Buffer.alloc(32 << 20);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE(Math.floor(rand.next() * 2 ** 32), i);
  const sizes = fileSizes(rand);
  const planted = [];
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, `d${Math.floor(i / 200)}`, `s${i % 7}`);
    if (i % 200 < 7) mkdirSync(dir, { recursive: true });
    const header = Buffer.from(`file ${i}\n`);
    const size = Math.max(sizes[i], header.length);
    const off = rand.int(0, pool.length - 1 - Math.min(size, pool.length - 1));
    let body = pool.subarray(off, off + size - header.length);
    if (body.length < size - header.length)
      body = Buffer.concat([body, Buffer.alloc(size - header.length - body.length)]);
    const data = Buffer.concat([header, body]);
    writeFileSync(join(dir, `f${i}.bin`), data);
    bytes += data.length;
    if (i % Math.floor(FILES / PLANTED) === 0 && planted.length < PLANTED)
      planted.push({ sha: sha256(data), size: data.length });
  }
  return { planted, bytes };
}

function signatures(rand, planted) {
  const sigs = planted.map((p, i) => ({ sha256: p.sha, size: p.size, name: `Bench.Planted.${i}` }));
  while (sigs.length < SIGNATURES) {
    const fake = createHash('sha256').update(String(rand.next())).digest('hex');
    sigs.push({ sha256: fake, size: rand.int(100, 1 << 20), name: `Bench.Decoy.${sigs.length}` });
  }
  return sigs;
}

async function runOurs(root, sigs, cpuLimit) {
  const scanner = new FileScanner({ fsRoot: root, includeProcessImages: false });
  const req = {
    scope: 'full',
    yaraRules: [],
    hashSignatures: sigs.map((s) => ({ sha256: s.sha256, name: s.name, severity: 'high' })),
    cpuLimit,
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await scanner.scan(req, { signal: new AbortController().signal, progress: () => {} });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    seconds,
    files: report.filesScanned,
    found: report.detections.length,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function runClamscan(root, dbDir) {
  const t0 = performance.now();
  const res = spawnSync('clamscan', ['-r', '-i', '--no-summary', '-d', dbDir, root], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (res.status !== 0 && res.status !== 1) throw new Error(`clamscan failed (${res.status}): ${res.stderr}`);
  const found = res.stdout.split('\n').filter((l) => l.endsWith(' FOUND')).length;
  return { seconds, files: FILES, found, cpuSeconds: null };
}

const rand = createRandom(SEED);
const base = mkdtempSync(join(process.env.QUELL_BENCH_DIR ?? tmpdir(), 'quell-bench-scan-'));
try {
  console.log(
    `machine: ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`,
  );
  const version = spawnSync('clamscan', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const root = join(base, 'tree');
  const t0 = performance.now();
  const { planted, bytes } = buildTree(root, rand);
  const sigs = signatures(rand, planted);
  const db = join(base, 'db');
  mkdirSync(db);
  writeFileSync(
    join(db, 'bench.hsb'),
    sigs.map((s) => `${s.sha256}:${s.size}:${s.name}:73`).join('\n') + '\n',
  );
  console.log(
    `tree: ${fmt.int(FILES)} files, ${(bytes / 2 ** 20).toFixed(0)} MiB (built in ${((performance.now() - t0) / 1000).toFixed(1)} s); ` +
      `${fmt.int(sigs.length)} SHA-256 signatures, ${planted.length} planted; ${version}`,
  );
  // Warm the page cache for both: the first reader would otherwise pay for the disk alone.
  await runOurs(root, sigs, Infinity);
  const results = [['ours, uncapped', await runOurs(root, sigs, Infinity)]];
  if (CAPPED) results.push(['ours, cpuLimit 0.5', await runOurs(root, sigs, 0.5)]);
  results.push(['clamscan (.hsb)', runClamscan(root, db)]);
  const mib = bytes / 2 ** 20;
  printTable(
    ['scanner', 'seconds', 'files/s', 'MiB/s', 'CPU s', 'found'],
    results.map(([name, r]) => [
      name,
      r.seconds.toFixed(2),
      fmt.rate(r.files / r.seconds),
      (mib / r.seconds).toFixed(1),
      r.cpuSeconds === null ? '-' : r.cpuSeconds.toFixed(2),
      `${r.found}/${planted.length}`,
    ]),
  );
  const ours = results[0][1];
  const clam = results.at(-1)[1];
  const ratio = clam.seconds / ours.seconds;
  const allFound = results.every(([, r]) => r.found === planted.length);
  const pass = ratio >= 1 && allFound;
  console.log(
    `SUMMARY scan: ${pass ? 'PASS' : 'FAIL'} — ours ${fmt.rate(FILES / ours.seconds)} files/s, ${(mib / ours.seconds).toFixed(0)} MiB/s; ` +
      `clamscan ${fmt.rate(FILES / clam.seconds)} files/s, ${(mib / clam.seconds).toFixed(0)} MiB/s; ratio ours/clamscan ${ratio.toFixed(2)}x` +
      `${allFound ? '' : ' (a scanner missed planted files)'}; target ratio >= 1`,
  );
  if (!pass) process.exitCode = 1;
} finally {
  rmSync(base, { recursive: true, force: true });
}
