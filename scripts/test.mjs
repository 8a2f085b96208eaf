#!/usr/bin/env node
// Runs every test suite (unit, integration on SQLite and PostgreSQL, CLI, browser, then the real
// agents) after building, and ends with the line CI reads: "N passed, N failed".
// Phase 1 runs on two workers (vitest.config.ts); a few server test files run on one database
// only (SQLITE_ONLY / POSTGRES_ONLY there). docs/testing.md says which, and why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });

if (!process.argv.includes('--no-build')) {
  const build = run('npm', ['run', 'build']);
  if (build.status !== 0) {
    console.error('Build failed; fix it before testing.');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'quell-test-'));
const extra = process.argv.slice(2).filter((a) => a !== '--no-build');

// The agent suite (real agents, nftables, fanotify, scans with a CPU cap, timing targets such as
// "re-asserted within 5 s") runs on its own after the others, so the two cores are not shared
// with the database and browser suites while it measures.
const phases = extra.some((a) => a.startsWith('--project'))
  ? [extra]
  : [
      [
        ...extra,
        '--project',
        'unit',
        '--project',
        'integration-sqlite',
        '--project',
        'integration-postgres',
        '--project',
        'cli',
        '--project',
        'browser',
      ],
      [...extra, '--project', 'agent'],
    ];

let passed = 0;
let failed = 0;
let skipped = 0;
let status = 0;
for (const [i, args] of phases.entries()) {
  const report = join(dir, `report-${i}.json`);
  const res = run('npx', [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...args,
  ]);
  let phaseFailed = 0;
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    phaseFailed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
    skipped += r.numPendingTests + r.numTodoTests;
    // A suite that failed to load has no tests to count but is a failure all the same.
    for (const f of r.testResults ?? [])
      if (f.status === 'failed' && (f.assertionResults ?? []).length === 0) phaseFailed += 1;
  } catch {
    phaseFailed = Math.max(phaseFailed, 1);
  }
  if (res.status !== 0 && phaseFailed === 0) phaseFailed = 1;
  failed += phaseFailed;
  if (res.status !== 0) status = res.status ?? 1;
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || status !== 0 ? 1 : 0);
