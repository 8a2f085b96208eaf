// Runs every benchmark in sequence, each in its own process so one's memory and caches do not
// colour the next; prints their summaries at the end. Exit code 1 when any target is missed.
//   node bench/run.mjs            (npm run bench)
//   node bench/run.mjs ingest     (only the benchmarks whose name contains "ingest")
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs') && (!only || f.includes(only)))
  .sort();
if (benches.length === 0) {
  console.error(
    `No benchmark matches "${only}". Available: ${readdirSync(here)
      .filter((f) => f.endsWith('.bench.mjs'))
      .join(', ')}`,
  );
  process.exit(2);
}

/** Runs one benchmark, echoing its output as it arrives and keeping it to find the summary. */
function runOne(path) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code, signal) => resolve({ out, code: code ?? signal }));
  });
}

const summaries = [];
let failed = false;
for (const file of benches) {
  console.log(`\n=== ${file} ===\n`);
  const began = Date.now();
  const { out, code } = await runOne(join(here, file));
  const summary =
    out.split('\n').find((l) => l.startsWith('SUMMARY')) ?? `SUMMARY ${file}: CRASHED (exit ${code})`;
  summaries.push(`${summary} [${((Date.now() - began) / 1000).toFixed(0)} s]`);
  if (code !== 0) failed = true;
}
console.log('\n=== summaries ===');
for (const s of summaries) console.log(s);
process.exitCode = failed ? 1 : 0;
