import { registerContractKinds } from '@quell/contracts/agent';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { EnrollResponse, type EnrollRequest, type Inventory } from '@quell/contracts/agent';
import { CONFIG_DEFAULTS, type AgentConfigFile } from '../config/agent-config.js';
import { readConfigFile, saveConfigFile } from '../config/config-file.js';
import { ConfigError, EnrollRefusedError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { parseEnrollmentToken } from './enrollment-token.js';
import { generateAgentKey, saveIdentity } from './key-store.js';
import { postJsonPinned } from './pinned-https.js';

registerContractKinds();
const checkResponse = TypeCompiler.Compile(EnrollResponse);

export interface EnrollOptions {
  /** The agent listener, `https://host[:port]`. */
  serverUrl: string;
  /** `qe1.<secret>.<certSha256>` from the console. */
  token: string;
  /** Config file to create or update (default `/etc/quell/agent.json`). */
  configPath: string;
  /** Overrides the config's `stateDir` (default `/var/lib/quell-agent`). */
  stateDir?: string;
  inventory: Inventory;
  log?: Logger;
  timeoutMs?: number;
}

export interface EnrollOutcome {
  deviceId: string;
  deviceGroupId: string;
  heartbeatMs: number;
  stateDir: string;
}

/**
 * Enrolls this device: checks the token's shape, connects to the server and checks its
 * certificate against the pin in the token BEFORE sending the token, posts a fresh Ed25519
 * public key with the inventory, then stores the key pair, the server's command key and
 * certificate under the state directory and writes `serverUrl`, `certSha256`, `deviceId` and
 * `stateDir` into the config file (keeping its other keys).
 *
 * @throws TokenFormatError, PinMismatchError (nothing was sent), EnrollRefusedError (with the
 * server's message), UnreachableError, ConfigError.
 */
export async function enroll(opts: EnrollOptions): Promise<EnrollOutcome> {
  const log = opts.log ?? silentLogger;
  const token = parseEnrollmentToken(opts.token);
  const base = parseServerUrl(opts.serverUrl);
  const existing = await readConfigFile(opts.configPath);
  const previous = existing && typeof existing === 'object' ? (existing as Partial<AgentConfigFile>) : {};
  const stateDir = opts.stateDir ?? previous.stateDir ?? CONFIG_DEFAULTS.stateDir;

  const key = generateAgentKey();
  const body: EnrollRequest = { token: token.raw, publicKey: key.publicKeyB64, inventory: opts.inventory };
  log.info('enrolling', { server: base.origin, pin: token.certSha256 });
  const res = await postJsonPinned(new URL('/agent/v1/enroll', base), token.certSha256, body, {
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  if (res.status < 200 || res.status >= 300) {
    throw new EnrollRefusedError(
      `the server refused the enrollment (HTTP ${res.status}): ${serverMessage(res.body)}`,
      res.status,
    );
  }
  if (!checkResponse.Check(res.body)) {
    throw new EnrollRefusedError(
      'the server answered the enrollment with an unexpected body; is this a Quell agent listener?',
      res.status,
    );
  }
  const answer = res.body;
  await saveIdentity(stateDir, {
    privateKey: key.privateKey,
    serverPublicKeyB64: answer.serverPublicKey,
    serverCertPem: res.certPem,
  });
  const { deviceId: _old, ...keep } = previous;
  await saveConfigFile(opts.configPath, {
    ...keep,
    serverUrl: base.origin,
    certSha256: token.certSha256,
    deviceId: answer.deviceId,
    stateDir,
  } as AgentConfigFile);
  log.info('enrolled', { deviceId: answer.deviceId, stateDir });
  return {
    deviceId: answer.deviceId,
    deviceGroupId: answer.deviceGroupId,
    heartbeatMs: answer.heartbeatMs,
    stateDir,
  };
}

function parseServerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`--server ${raw} is not a URL; give the agent listener as https://host[:port]`);
  }
  if (url.protocol !== 'https:') {
    throw new ConfigError(`--server must be an https:// URL (the agent only talks TLS), got ${url.protocol}`);
  }
  return new URL(url.origin);
}

/** The server's error message (ErrorBody `{code, message}`), or whatever text it sent. */
function serverMessage(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; code?: unknown; error?: unknown };
    if (typeof b.message === 'string')
      return typeof b.code === 'string' ? `${b.message} (${b.code})` : b.message;
    if (typeof b.error === 'string') return b.error;
  }
  if (typeof body === 'string' && body) return body.slice(0, 500);
  return 'no message';
}
