import { TaxiiError } from './taxii-error.js';
import { TAXII_MEDIA_TYPE, type TaxiiAuth, type TaxiiErrorBody } from './taxii.types.js';

export interface TaxiiHttpOptions {
  auth?: TaxiiAuth | undefined;
  /** Per request, headers and body included. Default 30 s. */
  timeoutMs?: number | undefined;
  /** Largest answer read; a page over it fails instead of filling memory. Default 32 MiB. */
  maxResponseBytes?: number | undefined;
  /** Injected for tests and proxies; default the global fetch. */
  fetch?: typeof fetch | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Whether a Content-Type is TAXII 2.1 (the version parameter may be left out, §1.6.8.1). */
export function mediaTypeProblem(contentType: string): string | null {
  const [type, ...params] = contentType
    .toLowerCase()
    .split(';')
    .map((s) => s.trim());
  if (type === 'application/vnd.oasis.taxii+json')
    return 'this is a TAXII 2.0 server; Quell speaks TAXII 2.1 (ask the provider for its 2.1 endpoint)';
  if (type !== 'application/taxii+json')
    return `check that the URL points at a TAXII 2.1 server and not a web page or another API`;
  // Parameter values may be quoted (RFC 9110 §5.6.6): Fastify, for one, sends version="2.1".
  const version = params
    .find((p) => p.startsWith('version='))
    ?.slice('version='.length)
    .replace(/^"(.*)"$/, '$1');
  if (version !== undefined && version !== '2.1')
    return `the server answered TAXII version ${version}, not 2.1`;
  return null;
}

function statusAdvice(status: number): string {
  switch (status) {
    case 401:
      return "it rejected the credentials: check the feed's username and password, or its token";
    case 403:
      return "the account may not read this: ask the feed's owner for read access to the collection";
    case 404:
      return 'there is no such resource: check the discovery URL, the API root and the collection id';
    case 406:
      return 'it does not serve TAXII 2.1 here';
    case 429:
      return 'it is rate limiting Quell: pull less often';
    default:
      return status >= 500
        ? 'the server failed; it may recover, so try again later'
        : 'it refused the request';
  }
}

/**
 * GET requests the TAXII 2.1 way: `Accept: application/taxii+json;version=2.1`, authentication, a deadline and a
 * bounded body. Answers of another media type, or not JSON, are refused with a message saying
 * what is probably wrong. Redirects are not followed (credentials must not travel to another
 * host) but reported with their target, so the feed can be configured with it.
 */
export class TaxiiHttp {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly doFetch: typeof fetch;
  private readonly authorization: string | null;

  constructor(options: TaxiiHttpOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.doFetch = options.fetch ?? fetch;
    const auth = options.auth ?? { kind: 'none' };
    this.authorization =
      auth.kind === 'basic'
        ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
        : auth.kind === 'bearer'
          ? `Bearer ${auth.token}`
          : null;
  }

  async get<T>(url: URL, signal?: AbortSignal): Promise<{ body: T; headers: Headers }> {
    const headers: Record<string, string> = { accept: TAXII_MEDIA_TYPE, 'user-agent': 'quell-taxii/1' };
    if (this.authorization) headers.authorization = this.authorization;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const where = url.href;
    try {
      let res: Response;
      try {
        res = await this.doFetch(url, { headers, signal: combined, redirect: 'manual' });
      } catch (e) {
        if (signal?.aborted) throw e;
        throw new TaxiiError(
          `Cannot reach the TAXII server at ${where}: ${(e as Error).message}`,
          where,
          null,
          true,
          {
            cause: e,
          },
        );
      }
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        const to = res.headers.get('location');
        throw new TaxiiError(
          `${where} redirects (${res.status})${to ? ` to ${new URL(to, url).href}` : ''}; configure the feed with that URL.`,
          where,
          res.status,
        );
      }
      const text = await this.readBody(res, where);
      if (!res.ok) {
        let detail = '';
        try {
          const e = JSON.parse(text) as TaxiiErrorBody;
          detail = [e.title, e.description].filter(Boolean).join(': ');
        } catch {
          // Not a TAXII error body (a proxy's page, say); the status alone has to do.
        }
        throw new TaxiiError(
          `The TAXII server answered ${res.status} for ${where}: ${statusAdvice(res.status)}.${detail ? ` It said: ${detail}` : ''}`,
          where,
          res.status,
          res.status >= 500 || res.status === 429,
        );
      }
      const contentType = res.headers.get('content-type') ?? '';
      const problem = mediaTypeProblem(contentType);
      if (problem)
        throw new TaxiiError(
          `${where} answered with content type "${contentType || 'none'}", not ${TAXII_MEDIA_TYPE}: ${problem}.`,
          where,
          res.status,
        );
      try {
        return { body: JSON.parse(text) as T, headers: res.headers };
      } catch (e) {
        throw new TaxiiError(`${where} answered with a body that is not JSON.`, where, res.status, false, {
          cause: e,
        });
      }
    } catch (e) {
      // Whatever failed once the deadline passed (connect, headers or body) failed because of it.
      if (timeout.aborted && !signal?.aborted)
        throw new TaxiiError(
          `The TAXII server at ${where} did not answer within ${this.timeoutMs} ms.`,
          where,
          null,
          true,
          {
            cause: e,
          },
        );
      throw e;
    }
  }

  private async readBody(res: Response, where: string): Promise<string> {
    const tooBig = () =>
      new TaxiiError(
        `${where} answered more than ${this.maxBytes} bytes; lower the page size of the feed.`,
        where,
        res.status,
      );
    if (Number(res.headers.get('content-length')) > this.maxBytes) {
      await res.body?.cancel();
      throw tooBig();
    }
    if (!res.body) return '';
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > this.maxBytes) {
        await reader.cancel();
        throw tooBig();
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
