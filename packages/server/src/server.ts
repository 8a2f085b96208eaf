import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pino from 'pino';
import { createStore, type DatabaseConfig } from '@quell/store';
import { agentUrlOf, type ServerConfig } from './config.js';
import { AgentListener } from './agents/gateway/agent-listener.js';
import { attachAgentGateway } from './agents/gateway/agent-support.js';
import { blobUploadSink } from './agents/gateway/blob-upload-sink.js';
import { attachExpiryNotifier } from './engine/expiry-notifier.js';
import { buildApp } from './http/app.js';
import { createIds, systemClock, type Clock } from './ports.js';
import { createServices, type Services } from './services/services.js';
import { seedDemo } from './demo/seed-demo.js';

export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

export interface RunningServer {
  url: string;
  /** The agent listener's https URL; null when QUELL_AGENT_DISABLED. */
  agentUrl: string | null;
  services: Services;
  close(): Promise<void>;
  /** Set on the first start of an empty instance: print it once. */
  firstAdmin: { email: string; password: string; generated: boolean } | null;
}

export function databaseConfig(config: Pick<ServerConfig, 'databaseUrl' | 'dataDir'>): DatabaseConfig {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl }
    : { kind: 'sqlite', file: join(config.dataDir, 'quell.db') };
}

/** Finds the built console: QUELL_WEB_DIR, else the @quell/web package's dist beside this one. */
function findWebDir(config: ServerConfig): string | null {
  if (config.webDir) return config.webDir;
  try {
    const require = createRequire(import.meta.url);
    const dir = join(dirname(require.resolve('@quell/web/package.json')), 'dist');
    return existsSync(dir) ? dir : null;
  } catch {
    // @quell/web is optional at run time (an API-only install); the server says so at /.
    return null;
  }
}

/** Opens storage, wires services, serves HTTP and starts the dispatcher. */
export async function startServer(
  config: ServerConfig,
  opts: { demo?: boolean; clock?: Clock } = {},
): Promise<RunningServer> {
  const log = pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]'],
  });
  const store = await createStore(databaseConfig(config));
  const clock = opts.clock ?? systemClock;
  const instanceId = `srv-${randomBytes(4).toString('hex')}`;
  const services = createServices(
    { store, clock, ids: createIds(clock), log },
    {
      sessionHours: config.sessionHours,
      instanceId,
      blobDir: join(config.dataDir, 'blobs'),
      agent: {
        heartbeatMs: config.agent.heartbeatMs,
        offlineAfterMs: config.agent.offlineAfterMs,
        ...(config.agent.url !== null && { url: config.agent.url }),
        tlsCertFile: config.agent.tlsCertFile,
        tlsKeyFile: config.agent.tlsKeyFile,
      },
    },
  );
  attachExpiryNotifier(services, process.env, log);
  // files (issue 4): how many devices "quarantine everywhere" may reach without naming them.
  services.files.limits.quarantineCap = config.fileQuarantineCap;
  let agents: AgentListener | null = null;
  try {
    await services.deviceGroups.ensureDefaults();
    const app = await buildApp({
      services,
      version: VERSION,
      logger: log,
      secureCookies: config.secureCookies,
      loginRateLimit: config.loginRateLimit,
      webDir: findWebDir(config),
    });
    const address = await app.listen({ port: config.port, host: config.host });
    // Only once the port is ours: a start that fails must not create an admin whose generated
    // password nobody saw.
    const firstAdmin = await services.access.bootstrapAdmin(config.adminEmail, config.adminPassword);
    if (opts.demo) await seedDemo(services);
    let agentUrl: string | null = null;
    if (!config.agent.disabled) {
      const keys = await services.agentKeys.get();
      const gateway = attachAgentGateway(services, {
        instanceId,
        heartbeatMs: config.agent.heartbeatMs,
        keys,
        uploads: blobUploadSink(services.blobs),
        maxFileUploadBytes: config.fileMaxBytes,
        signingThread: config.agent.signingThread,
      });
      agents = new AgentListener(gateway, services.enrollment, clock, log, {
        host: config.agent.host,
        port: config.agent.port,
        keys,
      });
      const port = await agents.listen();
      gateway.start();
      agentUrl = agentUrlOf(config.agent, port);
      // Tokens printed from now on name the port actually bound (a configured 0 picks one).
      services.enrollment.agentUrl = agentUrl;
    }
    services.dispatcher.start(config.dispatchIntervalMs);
    // indicators (issue 4): due TAXII pulls, expiry announcements and tombstone pruning; each feed
    // keeps its own interval, this only decides how soon a due one is noticed.
    services.indicators.startFeedPolling(60_000);
    const url = address.replace('[::1]', 'localhost').replace('0.0.0.0', '127.0.0.1');
    return {
      url,
      agentUrl,
      services,
      firstAdmin,
      async close() {
        await services.indicators.stop();
        await services.dispatcher.stop();
        await agents?.close();
        await app.close();
        await store.close();
      },
    };
  } catch (e) {
    await agents?.close().catch(() => undefined);
    await store.close();
    throw e;
  }
}
