import { InputError } from '@quell/core';
import { TaxiiError } from './taxii-error.js';
import { mediaTypeProblem, TaxiiHttp, type TaxiiHttpOptions } from './taxii-http.js';
import type {
  TaxiiApiRoot,
  TaxiiCollection,
  TaxiiDiscovery,
  TaxiiEnvelope,
  TaxiiObjectsPage,
  TaxiiObjectsQuery,
} from './taxii.types.js';

export interface TaxiiClientOptions extends TaxiiHttpOptions {
  /** The discovery endpoint, e.g. `https://feeds.example/taxii2/`. Needed unless `apiRootUrl` is set. */
  discoveryUrl?: string | undefined;
  /** The API root to read; default: the discovery resource's `default`, or its only API root. */
  apiRootUrl?: string | undefined;
}

function httpUrl(name: string, raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InputError(`The TAXII ${name} "${raw}" is not a URL.`, { field: name });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new InputError(`The TAXII ${name} must be an http(s) URL, not ${u.protocol}.`, { field: name });
  // TAXII URLs end in a slash (§1.6.1); without it relative paths would drop the last segment.
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

/**
 * A TAXII 2.1 client for reading collections (TAXII 2.1 §4–5): discovery, API root,
 * collections, and pages of objects. Transport rules (media type, auth, deadline, redirects,
 * size) are `TaxiiHttp`'s.
 */
export class TaxiiClient {
  private readonly discoveryUrl: URL | null;
  private readonly apiRootUrl: URL | null;
  private readonly http: TaxiiHttp;
  /** Discovery is asked once per client, not once per page. */
  private resolvedRoot: string | null = null;

  constructor(options: TaxiiClientOptions) {
    if (!options.discoveryUrl && !options.apiRootUrl)
      throw new InputError('A TAXII feed needs a discovery URL or an API root URL.');
    this.discoveryUrl = options.discoveryUrl ? httpUrl('discovery URL', options.discoveryUrl) : null;
    this.apiRootUrl = options.apiRootUrl ? httpUrl('API root URL', options.apiRootUrl) : null;
    this.http = new TaxiiHttp(options);
  }

  async discover(signal?: AbortSignal): Promise<TaxiiDiscovery> {
    if (!this.discoveryUrl) throw new InputError('This TAXII feed has no discovery URL configured.');
    return (await this.http.get<TaxiiDiscovery>(this.discoveryUrl, signal)).body;
  }

  /** The API root in use: the configured one, else the discovery resource's default. */
  async resolveApiRoot(signal?: AbortSignal): Promise<string> {
    if (this.apiRootUrl) return this.apiRootUrl.href;
    if (this.resolvedRoot) return this.resolvedRoot;
    const d = await this.discover(signal);
    const roots = d.api_roots ?? [];
    const chosen = d.default ?? (roots.length === 1 ? roots[0] : undefined);
    if (!chosen)
      throw new TaxiiError(
        roots.length
          ? `The TAXII server has no default API root; configure one of: ${roots.join(', ')}`
          : 'The TAXII server lists no API roots.',
        (this.discoveryUrl as URL).href,
      );
    this.resolvedRoot = httpUrl('API root URL', new URL(chosen, this.discoveryUrl as URL).href).href;
    return this.resolvedRoot;
  }

  async apiRoot(signal?: AbortSignal): Promise<TaxiiApiRoot> {
    const root = await this.resolveApiRoot(signal);
    const info = (await this.http.get<TaxiiApiRoot>(new URL(root), signal)).body;
    if (Array.isArray(info.versions) && !info.versions.some((v) => mediaTypeProblem(v) === null))
      throw new TaxiiError(`The API root ${root} serves ${info.versions.join(', ')}, not TAXII 2.1.`, root);
    return info;
  }

  async collections(signal?: AbortSignal): Promise<TaxiiCollection[]> {
    const root = await this.resolveApiRoot(signal);
    return (
      (await this.http.get<{ collections?: TaxiiCollection[] }>(new URL('collections/', root), signal)).body
        .collections ?? []
    );
  }

  async collection(id: string, signal?: AbortSignal): Promise<TaxiiCollection> {
    const root = await this.resolveApiRoot(signal);
    return (await this.http.get<TaxiiCollection>(this.collectionUrl(root, id, ''), signal)).body;
  }

  /** One page of a collection's objects (TAXII 2.1 §5.4). */
  async getObjects(
    collectionId: string,
    query: TaxiiObjectsQuery = {},
    signal?: AbortSignal,
  ): Promise<TaxiiObjectsPage> {
    const root = await this.resolveApiRoot(signal);
    const url = this.collectionUrl(root, collectionId, 'objects/');
    if (query.addedAfter) url.searchParams.set('added_after', query.addedAfter);
    if (query.limit !== undefined) url.searchParams.set('limit', String(query.limit));
    if (query.next) url.searchParams.set('next', query.next);
    if (query.types?.length) url.searchParams.set('match[type]', query.types.join(','));
    const { body, headers } = await this.http.get<TaxiiEnvelope>(url, signal);
    if (body.objects !== undefined && !Array.isArray(body.objects))
      throw new TaxiiError(`${url.href} answered an envelope whose "objects" is not a list.`, url.href);
    return {
      envelope: body,
      dateAddedFirst: headers.get('x-taxii-date-added-first'),
      dateAddedLast: headers.get('x-taxii-date-added-last'),
    };
  }

  private collectionUrl(root: string, id: string, tail: string): URL {
    return new URL(`collections/${encodeURIComponent(id)}/${tail}`, root);
  }
}
