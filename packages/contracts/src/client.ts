import type { Static, TSchema } from '@sinclair/typebox';
import { ROUTES, type OperationId, type Routes } from './routes.js';
import type { ErrorBody } from './common.schemas.js';

type StaticOf<T> = T extends TSchema ? Static<T> : never;
type Part<R, K extends string, F extends string> =
  R extends Record<K, TSchema> ? { [P in F]: StaticOf<R[K]> } : { [P in F]?: undefined };

/** What a call to an operation takes: `params`, `query` and `body` as its route declares them. */
export type CallInput<Op extends OperationId> = Part<Routes[Op], 'params', 'params'> &
  Part<Routes[Op], 'query', 'query'> &
  Part<Routes[Op], 'body', 'body'>;
export type CallOutput<Op extends OperationId> = Static<Routes[Op]['response']>;

/** An error answer from the API, carrying its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  /** e.g. http://127.0.0.1:8470; empty for same-origin (the console). */
  baseUrl: string;
  /** Bearer token (API token or CLI session). */
  token?: string | undefined;
  /** Sent as x-csrf-token on writes when the session rides on a cookie (the console). */
  csrfToken?: () => string | null | undefined;
  fetch?: typeof fetch;
}

function buildUrl(
  template: string,
  params: Record<string, unknown> | undefined,
  query: Record<string, unknown> | undefined,
): string {
  let url = template.replace(/:([A-Za-z]+)/g, (_, k: string) =>
    encodeURIComponent(String(params?.[k] ?? '')),
  );
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    const s = qs.toString();
    if (s) url += `?${s}`;
  }
  return url;
}

/** A typed client over the route table, shared by the CLI and the console. */
export function createClient(opts: ClientOptions) {
  const doFetch = opts.fetch ?? fetch;
  async function raw<Op extends OperationId>(op: Op, input: CallInput<Op>): Promise<Response> {
    const route = ROUTES[op];
    const i = input as { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (route.method !== 'GET') {
      const csrf = opts.csrfToken?.();
      if (csrf) headers['x-csrf-token'] = csrf;
    }
    let body: string | undefined;
    if ('body' in route || i.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(i.body ?? {});
    }
    const res = await doFetch(opts.baseUrl + buildUrl(route.url, i.params, i.query), {
      method: route.method,
      headers,
      body,
      credentials: 'same-origin',
    });
    if (!res.ok) {
      let err: Partial<ErrorBody> = {};
      try {
        err = (await res.json()) as ErrorBody;
      } catch {
        // Not our error body (a proxy, say): the status line is all we have.
      }
      throw new ApiError(
        res.status,
        err.code ?? `HTTP_${res.status}`,
        err.message ?? res.statusText,
        err.details ?? {},
      );
    }
    return res;
  }
  return {
    raw,
    async call<Op extends OperationId>(
      op: Op,
      ...args: keyof CallInput<Op> extends never ? [] | [CallInput<Op>] : [CallInput<Op>]
    ): Promise<CallOutput<Op>> {
      const res = await raw(op, (args[0] ?? {}) as CallInput<Op>);
      const type = res.headers.get('content-type') ?? '';
      return (type.includes('application/json') ? await res.json() : await res.text()) as CallOutput<Op>;
    },
  };
}
export type QuellClient = ReturnType<typeof createClient>;
