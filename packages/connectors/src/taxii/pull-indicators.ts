import type { TaxiiClient } from './taxii-client.js';
import { TaxiiError } from './taxii-error.js';

export interface PullIndicatorsOptions {
  /** Objects asked for per page (`limit`); the server may send fewer. Default 1000. */
  pageSize?: number | undefined;
  /**
   * Pages read in one pull. A pull that reaches it stops with `complete: false` and a cursor
   * to go on from, so a huge backlog is taken in several runs. Default 100.
   */
  maxPages?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface PullIndicatorsResult {
  /** STIX objects as received, for `importStixObjects`. Mostly indicators; servers may ignore `match[type]`. */
  objects: unknown[];
  /**
   * `added_after` for the next pull: the last page's `X-TAXII-Date-Added-Last`. A server that
   * never sends it leaves the cursor where it was, so the next pull reads the same objects
   * again; importing is idempotent, so that costs time, not correctness.
   */
  nextAddedAfter: string | null;
  pages: number;
  /** False when `maxPages` stopped the pull before the server said there was no more. */
  complete: boolean;
}

/**
 * Reads the indicators added to a collection after `since` (all of them for null), following
 * pagination to the end: by the envelope's `next` when the server gives one, else by moving
 * `added_after` to the page's `X-TAXII-Date-Added-Last` (both are allowed by TAXII 2.1 §3.4).
 */
export async function pullIndicators(
  client: Pick<TaxiiClient, 'getObjects'>,
  collectionId: string,
  since: string | null,
  options: PullIndicatorsOptions = {},
): Promise<PullIndicatorsResult> {
  const limit = options.pageSize ?? 1000;
  const maxPages = options.maxPages ?? 100;
  const objects: unknown[] = [];
  let cursor = since;
  let addedAfter = since ?? undefined;
  let next: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await client.getObjects(
      collectionId,
      { addedAfter, next, limit, types: ['indicator'] },
      options.signal,
    );
    objects.push(...(page.envelope.objects ?? []));
    if (page.dateAddedLast) cursor = page.dateAddedLast;
    if (!page.envelope.more) return { objects, nextAddedAfter: cursor, pages, complete: true };
    if (pages >= maxPages) return { objects, nextAddedAfter: cursor, pages, complete: false };
    if (page.envelope.next) {
      if (page.envelope.next === next)
        throw new TaxiiError(
          `The TAXII server returned the same "next" twice for collection ${collectionId}.`,
          collectionId,
        );
      next = page.envelope.next;
    } else if (page.dateAddedLast && page.dateAddedLast !== addedAfter) {
      addedAfter = page.dateAddedLast;
      next = undefined;
    } else {
      throw new TaxiiError(
        `The TAXII server says collection ${collectionId} has more objects but gives no way to page on (no "next", no new X-TAXII-Date-Added-Last).`,
        collectionId,
      );
    }
  }
}
