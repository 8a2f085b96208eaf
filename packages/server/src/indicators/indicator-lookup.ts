import {
  cidrContains,
  normalizeIndicatorValue,
  resolveIndicatorPrecedence,
  type IndicatorAction,
  type IndicatorType,
} from '@quell/core';
import type { IndicatorRow } from '@quell/store';
import type { ServiceContext } from '../services/context.js';
import { groupIdsOf } from './indicator-view.js';

/** The canonical value, or the InputError saying what is wrong with it. */
export function normalizedOrThrow(type: IndicatorType, raw: string): string {
  return normalizeIndicatorValue(type, raw);
}

/** `a.b.example.com` → itself and every parent with at least two labels. */
function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'));
  return out;
}

/**
 * Active indicators of `type` whose value covers `raw`: equal hashes; the domain or a parent
 * domain; an address block containing the address; the URL, or the URL without its query.
 */
export async function findMatches(
  ctx: ServiceContext,
  type: IndicatorType,
  raw: string,
  now: number,
): Promise<IndicatorRow[]> {
  const value = normalizedOrThrow(type, raw);
  const db = ctx.store.db;
  let rows: IndicatorRow[];
  switch (type) {
    case 'sha256':
    case 'sha1':
    case 'md5':
      rows = await ctx.store.indicators.live(db, type, [value]);
      break;
    case 'domain':
      rows = await ctx.store.indicators.live(db, type, domainAndParents(value));
      break;
    case 'url': {
      const bare = new URL(value);
      bare.search = '';
      rows = await ctx.store.indicators.live(db, type, [value, bare.href]);
      rows = rows.filter((r) => r.value === value || !r.value.includes('?'));
      break;
    }
    case 'ipv4':
    case 'ipv6':
      // Blocks are not equality lookups; server-side lookups are rare (agents hold an index).
      rows = (await ctx.store.indicators.liveOfTypes(db, [type], now)).filter((r) =>
        cidrContains(r.value, value),
      );
      break;
  }
  return rows.filter((r) => r.expires_at === null || r.expires_at > now);
}

/** The deciding row among matches for a device of `deviceGroupId`, by core's precedence rule. */
export function winner(rows: readonly IndicatorRow[], deviceGroupId: string | null): IndicatorRow | null {
  const candidates = rows.map((r) => ({
    row: r,
    action: r.action as IndicatorAction,
    deviceGroupIds: groupIdsOf(r),
    createdAt: r.created_at,
    id: r.id,
  }));
  return resolveIndicatorPrecedence(candidates, deviceGroupId)?.row ?? null;
}
