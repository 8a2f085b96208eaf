// The Quell server for the agent benchmarks, run as a child process of the bench so its CPU and
// RSS can be read from /proc/<pid>. Started with an IPC channel:
//   parent ← {type:'ready', pid, url, agentUrl, certSha256, apiToken}
//   parent → {type:'tokens', id, n}   ← {type:'tokens', id, tokens: string[]}  (enrollment tokens)
//   parent → {type:'stop'}            (closes the server and exits)
//   parent → {type:'profile', id, action:'start'|'stop', file?}  (CPU profile of a window, written
//            as a .cpuprofile to `file` on stop; used with QUELL_BENCH_PROFILE_DIR)
// Config comes from the environment (QUELL_DATA_DIR, QUELL_DISPATCH_INTERVAL_MS, QUELL_AGENT_HOST…)
// like `quell-server`; ports default to 0 (free ones), logs to silent.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { SYSTEM_PRINCIPAL } from '@quell/core';
import { loadConfig, startServer } from '@quell/server';

const config = loadConfig(process.env, {
  port: Number(process.env.QUELL_PORT ?? 0),
  agentPort: Number(process.env.QUELL_AGENT_PORT ?? 0),
  logLevel: process.env.QUELL_LOG_LEVEL || 'silent',
});
const server = await startServer(config);
const { services } = server;
const keys = await services.agentKeys.get();
const api = await services.access.createToken(SYSTEM_PRINCIPAL, { name: 'bench', role: 'admin' });

let profiler = null;
process.on('message', async (msg) => {
  try {
    if (msg.type === 'tokens') {
      const tokens = [];
      for (let i = 0; i < msg.n; i++) {
        const t = await services.enrollment.createToken(SYSTEM_PRINCIPAL, {
          label: `bench-${i}`,
          expiresInHours: 24,
        });
        tokens.push(t.token);
      }
      process.send({ type: 'tokens', id: msg.id, tokens });
    } else if (msg.type === 'profile') {
      if (msg.action === 'start') {
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
        await profiler.post('Profiler.start');
      } else if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(msg.file, JSON.stringify(profile));
        profiler.disconnect();
        profiler = null;
      }
      process.send({ type: 'profile', id: msg.id });
    } else if (msg.type === 'stop') {
      await server.close();
      process.exit(0);
    }
  } catch (e) {
    process.send({ type: 'error', id: msg.id, message: String(e?.stack ?? e) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({
  type: 'ready',
  pid: process.pid,
  url: server.url,
  agentUrl: server.agentUrl,
  certSha256: keys.certSha256,
  apiToken: api.secret,
});
