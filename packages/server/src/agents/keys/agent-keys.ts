import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { InputError } from '@quell/core';
import type { Store } from '@quell/store';
import { createSelfSignedTls } from './self-signed.js';

/** The server's key material for agents, shared by every instance through the database. */
export interface AgentKeys {
  /** TLS private key of the agent listener, PEM. */
  tlsKeyPem: string;
  /** TLS certificate of the agent listener, PEM. */
  tlsCertPem: string;
  /** SHA-256 (hex) of the certificate's DER: what enrollment tokens pin. */
  certSha256: string;
  /** Ed25519 key that signs commands. */
  signingPrivateKey: KeyObject;
  /** Its public half, SPKI DER base64, as agents receive it at enrollment. */
  signingPublicKeySpkiB64: string;
}

/** Where the agent listener's TLS pair comes from; see config QUELL_AGENT_TLS_CERT / _KEY. */
export interface AgentKeyOptions {
  /** PEM files given by the operator; both or neither. Unset: a self-signed pair kept in the DB. */
  tlsCertFile?: string | null;
  tlsKeyFile?: string | null;
  /** Names and addresses the self-signed certificate lists; used only when it is first created. */
  hostNames?: readonly string[];
}

/** SHA-256 hex of a PEM certificate's DER. */
export function certificateSha256(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

/** The names a self-signed listener certificate should carry for a listener host and URL. */
export function agentHostNames(host: string, url: string | null): string[] {
  const names: string[] = [];
  if (url) names.push(new URL(url).hostname.replace(/^\[|\]$/g, ''));
  if (host !== '0.0.0.0' && host !== '::') names.push(host);
  names.push(osHostname(), 'localhost', '127.0.0.1', '::1');
  return [...new Set(names)];
}

async function readPair(certFile: string, keyFile: string): Promise<{ certPem: string; keyPem: string }> {
  const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw new InputError(
      `QUELL_AGENT_TLS_CERT (${certFile}) is not a PEM certificate.`,
      { certFile },
      { cause: e },
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new InputError(
      `QUELL_AGENT_TLS_KEY (${keyFile}) is not a PEM private key.`,
      { keyFile },
      { cause: e },
    );
  }
  if (!cert.checkPrivateKey(key))
    throw new InputError('QUELL_AGENT_TLS_KEY does not belong to QUELL_AGENT_TLS_CERT.', {
      certFile,
      keyFile,
    });
  return { certPem, keyPem };
}

/**
 * Loads the agent keys, creating on first start what the database lacks. The TLS key and
 * certificate are written in one transaction, so two instances starting together cannot end up
 * with one's key and the other's certificate: the second waits and then reads the first's.
 */
export async function loadAgentKeys(store: Store, opts: AgentKeyOptions, now: number): Promise<AgentKeys> {
  let tls: { certPem: string; keyPem: string };
  if (opts.tlsCertFile && opts.tlsKeyFile) {
    tls = await readPair(opts.tlsCertFile, opts.tlsKeyFile);
  } else {
    const existing = await Promise.all([
      store.serverKeys.get('agent_tls_key'),
      store.serverKeys.get('agent_tls_cert'),
    ]);
    if (existing[0] !== undefined && existing[1] !== undefined) {
      tls = { keyPem: existing[0], certPem: existing[1] };
    } else {
      const fresh = await createSelfSignedTls(opts.hostNames ?? agentHostNames('127.0.0.1', null), now);
      tls = await store.transaction(async (trx) => ({
        keyPem: await store.serverKeys.insertIfAbsent('agent_tls_key', fresh.keyPem, now, trx),
        certPem: await store.serverKeys.insertIfAbsent('agent_tls_cert', fresh.certPem, now, trx),
      }));
    }
  }
  let signingPem = await store.serverKeys.get('command_signing_key');
  if (signingPem === undefined) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    signingPem = await store.serverKeys.insertIfAbsent('command_signing_key', pem, now);
  }
  const signingPrivateKey = createPrivateKey(signingPem);
  return {
    tlsKeyPem: tls.keyPem,
    tlsCertPem: tls.certPem,
    certSha256: certificateSha256(tls.certPem),
    signingPrivateKey,
    signingPublicKeySpkiB64: createPublicKey(signingPrivateKey)
      .export({ type: 'spki', format: 'der' })
      .toString('base64'),
  };
}

/** Loads the keys once and hands the same ones to every caller (services, the gateway). */
export class AgentKeyring {
  private loading: Promise<AgentKeys> | null = null;

  constructor(
    private readonly store: Store,
    private readonly opts: AgentKeyOptions,
    private readonly now: () => number,
  ) {}

  /** The keys; the first call creates or loads them. A failed load is retried by the next call. */
  get(): Promise<AgentKeys> {
    this.loading ??= loadAgentKeys(this.store, this.opts, this.now()).catch((e: unknown) => {
      this.loading = null;
      throw e;
    });
    return this.loading;
  }
}
