// Quarantine round trip on a real agent (issue 4): the built agent in its own network namespace
// (bench/lib/real-agent.mjs) inspecting a temp root; each iteration plants a script with a cron
// entry that starts it, runs it, then times
//   quarantine: from just before `POST /api/actions {stop_and_quarantine_file}` to the first poll
//               (every 10 ms) of `GET /api/actions/:id` that shows `succeeded` (process killed,
//               file in the vault, cron line removed: checked after each iteration);
//   restore:    from just before `POST /api/actions/:id/undo` to its undo action's `succeeded`
//               (file back bit-identical, cron line back).
// Target: p99 ≤ 5 s each.
//   node bench/quarantine.bench.mjs                   (needs root: it makes a network namespace)
// Env: QUELL_BENCH_ITERATIONS (30), QUELL_BENCH_DIR. Build first: npx tsc -b tsconfig.build.json.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ms, percentile, sleep, verdict } from './agents/lib.mjs';
import { createRealAgentStack } from './lib/real-agent.mjs';

const ITERATIONS = Number(process.env.QUELL_BENCH_ITERATIONS || 30);
if (!Number.isInteger(ITERATIONS) || ITERATIONS <= 0)
  throw new Error('QUELL_BENCH_ITERATIONS must be a positive integer.');
const TARGET_P99_MS = 5000;
const TIMEOUT_MS = 60_000;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

let stack = null;
const running = [];
try {
  console.log(
    `Quarantine round trip, ${ITERATIONS} iterations, node ${process.version}, load average ${load()}`,
  );
  stack = await createRealAgentStack({ name: 'quarantine' });
  await stack.startAgent();
  const device = (await stack.api('GET', `/api/devices/${stack.deviceId}`)).body;
  console.log(
    `Namespace ${stack.ns}; server pid ${stack.srv.pid}; agent pid ${stack.pid} online as ${device.hostname}`,
  );
  mkdirSync(join(stack.fsRoot, 'etc/cron.d'), { recursive: true });
  writeFileSync(join(stack.fsRoot, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');

  /** Polls an action every 10 ms until it leaves the running states; ms since `start`. */
  const until = async (id, start) => {
    for (;;) {
      const a = await stack.api('GET', `/api/actions/${id}`);
      const s = a.body?.status;
      if (s === 'succeeded') return performance.now() - start;
      if (['failed', 'cancelled', 'expired', 'rejected', 'pending_approval'].includes(s))
        throw new Error(`action ${id} ${s}: ${JSON.stringify(a.body).slice(0, 600)}`);
      if (performance.now() - start > TIMEOUT_MS)
        throw new Error(`action ${id} still ${s} after ${TIMEOUT_MS} ms`);
      await sleep(10);
    }
  };

  const quarantine = [];
  const restore = [];
  /** Per action, from its timeline: created → dispatched (server) and dispatched → succeeded (agent). */
  const phases = { quarantine: { server: [], agent: [] }, restore: { server: [], agent: [] } };
  const split = async (id, into) => {
    const { timeline } = (await stack.api('GET', `/api/actions/${id}`)).body;
    const at = (to) => Date.parse(timeline.find((e) => e.to === to)?.at ?? '');
    const created = Date.parse(timeline[0].at);
    into.server.push(at('dispatched') - created);
    into.agent.push(at('succeeded') - at('dispatched'));
  };
  for (let i = 0; i < ITERATIONS; i++) {
    const name = `evil-${i}.sh`;
    const script = `#!/bin/sh\n# quell bench sample ${i}\nwhile :; do sleep 1; done\n`;
    const sha = createHash('sha256').update(script).digest('hex');
    const path = join(stack.fsRoot, 'tmp', name);
    const cron = `*/5 * * * * root /tmp/${name}\n`;
    writeFileSync(path, script);
    chmodSync(path, 0o750);
    writeFileSync(join(stack.fsRoot, 'etc/cron.d', `evil-${i}`), cron);
    const proc = spawn(path, [], { stdio: 'ignore', cwd: join(stack.fsRoot, 'tmp') });
    running.push(proc);
    const gone = new Promise((r) => proc.once('exit', (_c, sig) => r(sig)));
    while (
      !existsSync(`/proc/${proc.pid}/cmdline`) ||
      !readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').includes(name)
    )
      await sleep(5);

    let start = performance.now();
    const q = await stack.api('POST', '/api/actions', {
      type: 'stop_and_quarantine_file',
      target: { kind: 'file', id: sha, deviceHostname: device.hostname },
      params: { sha256: sha, path: `/tmp/${name}` },
    });
    if (q.status !== 201) throw new Error(`quarantine request → ${q.status}: ${JSON.stringify(q.body)}`);
    quarantine.push(await until(q.body.id, start));
    await split(q.body.id, phases.quarantine);
    const done = (await stack.api('GET', `/api/actions/${q.body.id}`)).body;
    if (done.result?.filesQuarantined !== 1 || done.result?.persistenceRemoved !== 1 || existsSync(path))
      throw new Error(`quarantine did not do its work: ${JSON.stringify(done.result)}`);
    if ((await Promise.race([gone, sleep(2000).then(() => 'alive')])) === 'alive')
      throw new Error('the process is still running after the quarantine succeeded');

    start = performance.now();
    const u = await stack.api('POST', `/api/actions/${q.body.id}/undo`, { comment: 'bench' });
    if (u.status !== 201) throw new Error(`undo request → ${u.status}: ${JSON.stringify(u.body)}`);
    restore.push(await until(u.body.id, start));
    await split(u.body.id, phases.restore);
    const back = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (back !== sha || readFileSync(join(stack.fsRoot, 'etc/cron.d', `evil-${i}`), 'utf8') !== cron)
      throw new Error('restore did not put the file and its cron line back');
    console.log(
      `  ${String(i + 1).padStart(3)}: quarantine ${ms(quarantine.at(-1))}, restore ${ms(restore.at(-1))}`,
    );
  }
  const row = (what, arr) => {
    const s = [...arr].sort((a, b) => a - b);
    console.log(
      `${what.padEnd(34)} p50 ${ms(percentile(s, 50))}  p95 ${ms(percentile(s, 95))}  p99 ${ms(percentile(s, 99))}  max ${ms(s.at(-1))}`,
    );
    return percentile(s, 99);
  };
  console.log(`\n${ITERATIONS} round trips (request → succeeded, polled every 10 ms):`);
  const qp99 = row('stop_and_quarantine_file', quarantine);
  const rp99 = row('undo (restore_quarantined_file)', restore);
  console.log("From the actions' timelines (ms resolution):");
  row('  quarantine: created → dispatched', phases.quarantine.server);
  row('  quarantine: dispatched → succeeded', phases.quarantine.agent);
  row('  restore: created → dispatched', phases.restore.server);
  row('  restore: dispatched → succeeded', phases.restore.agent);
  const pass = qp99 <= TARGET_P99_MS && rp99 <= TARGET_P99_MS;
  const p50 = (arr) =>
    percentile(
      [...arr].sort((a, b) => a - b),
      50,
    );
  console.log(
    `SUMMARY quarantine: ${ITERATIONS} round trips on a real agent: quarantine p50 ${ms(p50(quarantine))} p99 ${ms(qp99)}, restore p50 ${ms(p50(restore))} p99 ${ms(rp99)} (target p99 ≤ ${TARGET_P99_MS} ms) — ${verdict(pass)}; load average ${load()}`,
  );
  process.exitCode = pass ? 0 : 1;
} catch (e) {
  console.log(`SUMMARY quarantine: ERROR ${e.message}`);
  console.error(e);
  process.exitCode = 1;
} finally {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await stack?.close();
}
process.exit(process.exitCode ?? 0);
