/** The TAXII 2.1 media type; requests ask for it and answers must carry it (TAXII 2.1 §1.6.8). */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

export type TaxiiAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string };

/** Discovery resource (TAXII 2.1 §4.1.1), served at e.g. `https://host/taxii2/`. */
export interface TaxiiDiscovery {
  title: string;
  description?: string;
  contact?: string;
  default?: string;
  api_roots?: string[];
}

/** API root resource (TAXII 2.1 §4.2.1). */
export interface TaxiiApiRoot {
  title: string;
  description?: string;
  versions: string[];
  max_content_length: number;
}

/** Collection resource (TAXII 2.1 §5.2.1). */
export interface TaxiiCollection {
  id: string;
  title: string;
  description?: string;
  alias?: string;
  can_read: boolean;
  can_write: boolean;
  media_types?: string[];
}

/** Envelope resource (TAXII 2.1 §3.7): one page of objects. */
export interface TaxiiEnvelope {
  more?: boolean;
  next?: string;
  objects?: unknown[];
}

/** Error message resource (TAXII 2.1 §3.6.1), sent with 4xx and 5xx answers. */
export interface TaxiiErrorBody {
  title?: string;
  description?: string;
  error_id?: string;
  http_status?: string;
}

/** One page from the objects endpoint, with the paging headers (TAXII 2.1 §3.4.3). */
export interface TaxiiObjectsPage {
  envelope: TaxiiEnvelope;
  /** `X-TAXII-Date-Added-First`: when the first object of the page was added. */
  dateAddedFirst: string | null;
  /** `X-TAXII-Date-Added-Last`: when the last object of the page was added; the next cursor. */
  dateAddedLast: string | null;
}

export interface TaxiiObjectsQuery {
  /** Only objects added to the collection strictly after this timestamp. */
  addedAfter?: string | undefined;
  /** `match[type]`, e.g. `['indicator']`. */
  types?: readonly string[] | undefined;
  /** Objects per page; the server may send fewer. */
  limit?: number | undefined;
  /** The `next` value of the previous page's envelope. */
  next?: string | undefined;
}
