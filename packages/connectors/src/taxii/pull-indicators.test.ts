import { describe, expect, it } from 'vitest';
import { pullIndicators } from './pull-indicators.js';
import { TaxiiError } from './taxii-error.js';
import type { TaxiiObjectsPage, TaxiiObjectsQuery } from './taxii.types.js';

/** A client that answers the given pages in order and records what it was asked. */
function scripted(pages: TaxiiObjectsPage[]) {
  const asked: TaxiiObjectsQuery[] = [];
  return {
    asked,
    client: {
      getObjects: (_id: string, q: TaxiiObjectsQuery = {}) => {
        asked.push(q);
        const p = pages.shift();
        return p ? Promise.resolve(p) : Promise.reject(new Error('asked for a page too many'));
      },
    },
  };
}

const page = (
  more: boolean,
  next: string | undefined,
  last: string | null,
  ids: string[],
): TaxiiObjectsPage => ({
  envelope: { more, ...(next ? { next } : {}), objects: ids.map((id) => ({ type: 'indicator', id })) },
  dateAddedFirst: last,
  dateAddedLast: last,
});

describe('pullIndicators paging', () => {
  it('keeps added_after and follows next, then takes the last page’s date as the cursor', async () => {
    const s = scripted([page(true, 'p2', 't1', ['a']), page(false, undefined, 't2', ['b'])]);
    const r = await pullIndicators(s.client, 'c', 't0', { pageSize: 7 });
    expect(r).toEqual({
      objects: [
        { type: 'indicator', id: 'a' },
        { type: 'indicator', id: 'b' },
      ],
      nextAddedAfter: 't2',
      pages: 2,
      complete: true,
    });
    expect(s.asked).toEqual([
      { addedAfter: 't0', next: undefined, limit: 7, types: ['indicator'] },
      { addedAfter: 't0', next: 'p2', limit: 7, types: ['indicator'] },
    ]);
  });

  it('moves added_after to the date header when the server gives no next', async () => {
    const s = scripted([page(true, undefined, 't1', ['a']), page(false, undefined, null, [])]);
    const r = await pullIndicators(s.client, 'c', null);
    expect(s.asked[1]?.addedAfter).toBe('t1');
    expect(r.nextAddedAfter).toBe('t1');
  });

  it('keeps the old cursor when the server never sends the date header', async () => {
    const s = scripted([page(false, undefined, null, ['a'])]);
    expect((await pullIndicators(s.client, 'c', 't0')).nextAddedAfter).toBe('t0');
  });

  it.each([
    ['repeats next', [page(true, 'p', 't1', []), page(true, 'p', 't2', [])], /same "next" twice/],
    ['has more but no way on', [page(true, undefined, null, [])], /gives no way to page on/],
  ])('fails when the server %s, instead of looping', async (_name, pages, message) => {
    const err = await pullIndicators(scripted(pages).client, 'c', null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaxiiError);
    expect(String(err)).toMatch(message);
  });
});
