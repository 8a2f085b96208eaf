import { join } from 'node:path';
import { availableParallelism, homedir } from 'node:os';

/** Server configuration, read once at start. Every key has an environment variable (see docs/configuration.md). */
export interface ServerConfig {
  /** QUELL_DATA_DIR: where SQLite and blobs live. Default `~/.quell`. */
  dataDir: string;
  /** QUELL_PORT: HTTP port; 0 picks a free one. Default 8470. */
  port: number;
  /** QUELL_HOST: address to listen on. Default 127.0.0.1. */
  host: string;
  /** QUELL_DATABASE_URL: a postgres:// URL switches from SQLite to PostgreSQL. */
  databaseUrl: string | null;
  /** QUELL_ADMIN_EMAIL / QUELL_ADMIN_PASSWORD: the first admin; generated and printed once when unset. */
  adminEmail: string | null;
  adminPassword: string | null;
  /** QUELL_LOG_LEVEL: pino level. Default info. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** QUELL_SESSION_HOURS: console/CLI session lifetime. Default 12. */
  sessionHours: number;
  /** QUELL_SECURE_COOKIES: mark cookies Secure (behind TLS). Default false. */
  secureCookies: boolean;
  /** QUELL_DISPATCH_INTERVAL_MS: how often the dispatcher looks for work. Default 1000. */
  dispatchIntervalMs: number;
  /** QUELL_LOGIN_RATE_LIMIT: login attempts per address per minute. Default 10. */
  loginRateLimit: number;
  /** QUELL_WEB_DIR: the built console; default the @quell/web package's dist. */
  webDir: string | null;
  /** The agent listener (TLS, enrollment and agent WebSockets). */
  agent: AgentListenerConfig;
  /** QUELL_FILE_MAX_BYTES: largest file an agent may upload when collecting or quarantining one. Default 3 GiB. */
  fileMaxBytes: number;
  /** QUELL_FILE_QUARANTINE_CAP: most devices "quarantine everywhere" may hit unless the request raises it. Default 1000. */
  fileQuarantineCap: number;
}

/** Settings of the agent listener; see docs/configuration.md. */
export interface AgentListenerConfig {
  /** QUELL_AGENT_DISABLED: run without the agent listener. Default false. */
  disabled: boolean;
  /** QUELL_AGENT_PORT: TLS port agents connect to; 0 picks a free one. Default 8471. */
  port: number;
  /** QUELL_AGENT_HOST: address the agent listener binds. Default QUELL_HOST. */
  host: string;
  /**
   * QUELL_AGENT_URL: the https URL agents use, printed with enrollment tokens. Default
   * `https://<agent host>:<agent port>` (a port of 0 is replaced by the bound one at start).
   */
  url: string | null;
  /** QUELL_AGENT_TLS_CERT / QUELL_AGENT_TLS_KEY: PEM files; both or neither. Default: a self-signed pair kept in the database. */
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  /** QUELL_AGENT_HEARTBEAT_MS: how often agents send a heartbeat. Default 15000. */
  heartbeatMs: number;
  /** QUELL_AGENT_OFFLINE_AFTER_MS: silence after which a connected agent counts as offline. Default 3 × heartbeat. */
  offlineAfterMs: number;
  /**
   * QUELL_AGENT_SIGNING_THREAD: sign commands on a worker thread. Default: on when the machine has
   * more than 2 CPUs (on 2 the thread only competes with the event loop for them).
   */
  signingThread: boolean;
}

export interface ConfigOverrides {
  dataDir?: string | undefined;
  port?: number | undefined;
  host?: string | undefined;
  databaseUrl?: string | undefined;
  logLevel?: ServerConfig['logLevel'] | undefined;
  agentPort?: number | undefined;
  agentHost?: string | undefined;
  agentUrl?: string | undefined;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Thrown with every bad key at once, so a misconfigured server says all that is wrong in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function int(
  env: NodeJS.ProcessEnv,
  key: string,
  def: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${key}="${raw}" must be a whole number from ${min} to ${max}`);
    return def;
  }
  return n;
}

function bool(env: NodeJS.ProcessEnv, key: string, def: boolean, problems: string[]): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  problems.push(`${key}="${raw}" must be true or false`);
  return def;
}

function agentConfig(
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides,
  host: string,
  problems: string[],
): AgentListenerConfig {
  const port = overrides.agentPort ?? int(env, 'QUELL_AGENT_PORT', 8471, 0, 65535, problems);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`agent port ${String(port)} must be from 0 to 65535`);
  const url = overrides.agentUrl ?? (env.QUELL_AGENT_URL || null);
  if (url !== null && !isHttpsUrl(url))
    problems.push(`QUELL_AGENT_URL="${url}" must be an https:// URL (agents only speak TLS)`);
  const tlsCertFile = env.QUELL_AGENT_TLS_CERT || null;
  const tlsKeyFile = env.QUELL_AGENT_TLS_KEY || null;
  if ((tlsCertFile === null) !== (tlsKeyFile === null))
    problems.push('QUELL_AGENT_TLS_CERT and QUELL_AGENT_TLS_KEY go together: set both or neither');
  const heartbeatMs = int(env, 'QUELL_AGENT_HEARTBEAT_MS', 15_000, 1000, 3_600_000, problems);
  const offlineAfterMs = int(
    env,
    'QUELL_AGENT_OFFLINE_AFTER_MS',
    3 * heartbeatMs,
    1000,
    24 * 3_600_000,
    problems,
  );
  if (offlineAfterMs <= heartbeatMs)
    problems.push(
      `QUELL_AGENT_OFFLINE_AFTER_MS (${offlineAfterMs}) must be longer than QUELL_AGENT_HEARTBEAT_MS (${heartbeatMs})`,
    );
  return {
    disabled: bool(env, 'QUELL_AGENT_DISABLED', false, problems),
    port,
    host: overrides.agentHost ?? (env.QUELL_AGENT_HOST || host),
    url,
    tlsCertFile,
    tlsKeyFile,
    heartbeatMs,
    offlineAfterMs,
    signingThread: bool(env, 'QUELL_AGENT_SIGNING_THREAD', availableParallelism() > 2, problems),
  };
}

function isHttpsUrl(s: string): boolean {
  try {
    return new URL(s).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The URL agents are told to use: the configured one, else built from the listener's host and port. */
export function agentUrlOf(
  agent: Pick<AgentListenerConfig, 'url' | 'host' | 'port'>,
  boundPort?: number,
): string {
  if (agent.url) return agent.url.replace(/\/+$/, '');
  const host = agent.host === '0.0.0.0' || agent.host === '::' ? '127.0.0.1' : agent.host;
  const h = host.includes(':') ? `[${host}]` : host;
  return `https://${h}:${boundPort ?? agent.port}`;
}

export function loadConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}): ServerConfig {
  const problems: string[] = [];
  const port = overrides.port ?? int(env, 'QUELL_PORT', 8470, 0, 65535, problems);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`port ${String(port)} must be from 0 to 65535`);
  const databaseUrl = overrides.databaseUrl ?? (env.QUELL_DATABASE_URL || null);
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('QUELL_DATABASE_URL must be a postgres:// URL (leave it unset for embedded SQLite)');
  }
  const adminEmail = env.QUELL_ADMIN_EMAIL || null;
  const adminPassword = env.QUELL_ADMIN_PASSWORD || null;
  if (adminEmail !== null && !/^[^@\s]+@[^@\s]+$/.test(adminEmail))
    problems.push('QUELL_ADMIN_EMAIL must be an email address');
  if (adminPassword !== null && adminPassword.length < 12)
    problems.push('QUELL_ADMIN_PASSWORD must be at least 12 characters');
  if ((adminEmail === null) !== (adminPassword === null) && adminPassword !== null) {
    problems.push('QUELL_ADMIN_PASSWORD needs QUELL_ADMIN_EMAIL');
  }
  const logLevel = overrides.logLevel ?? ((env.QUELL_LOG_LEVEL || 'info') as ServerConfig['logLevel']);
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`QUELL_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const config: ServerConfig = {
    dataDir: overrides.dataDir ?? (env.QUELL_DATA_DIR || join(homedir(), '.quell')),
    port,
    host: overrides.host ?? (env.QUELL_HOST || '127.0.0.1'),
    databaseUrl,
    adminEmail,
    adminPassword,
    logLevel,
    sessionHours: int(env, 'QUELL_SESSION_HOURS', 12, 1, 24 * 30, problems),
    secureCookies: bool(env, 'QUELL_SECURE_COOKIES', false, problems),
    dispatchIntervalMs: int(env, 'QUELL_DISPATCH_INTERVAL_MS', 1000, 10, 600_000, problems),
    loginRateLimit: int(env, 'QUELL_LOGIN_RATE_LIMIT', 10, 1, 10_000, problems),
    webDir: env.QUELL_WEB_DIR || null,
    agent: agentConfig(env, overrides, overrides.host ?? (env.QUELL_HOST || '127.0.0.1'), problems),
    fileMaxBytes: int(env, 'QUELL_FILE_MAX_BYTES', 3 * 1024 ** 3, 1, 1024 ** 4, problems),
    fileQuarantineCap: int(env, 'QUELL_FILE_QUARANTINE_CAP', 1000, 1, 50_000, problems),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
