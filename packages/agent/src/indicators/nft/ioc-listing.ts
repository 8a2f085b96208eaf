import { normaliseRuleset } from '../../firewall/isolation-ruleset.js';
import { IOC_SET_NAMES, type IocSetName } from './ioc-ruleset.js';

/** A full `nft list table` output split into its skeleton and its set elements. */
export interface IocListing {
  /** The listing without `elements = { … }`, normalised: comparable with the built skeleton. */
  skeleton: string;
  /** Elements per set as printed (sets nft printed no elements for are absent). */
  elements: Map<string, string[]>;
}

/**
 * Splits a listing into skeleton and elements. nft prints a set's elements as
 * `elements = { a, b,` continued on indented lines up to the closing `}`; they are cut out of the
 * skeleton so it matches `nft -t` output and the generated table text.
 */
export function parseIocListing(text: string): IocListing {
  const keep: string[] = [];
  const elements = new Map<string, string[]>();
  let set: string | null = null;
  let collecting: string[] | null = null;
  for (const line of text.split('\n')) {
    if (collecting) {
      const end = line.indexOf('}');
      collecting.push(...split(end < 0 ? line : line.slice(0, end)));
      if (end >= 0) collecting = null;
      continue;
    }
    const trimmed = line.trim();
    const setHead = /^set (\S+) \{$/.exec(trimmed);
    if (setHead) set = setHead[1]!;
    else if (trimmed.startsWith('chain ')) set = null;
    if (trimmed.startsWith('elements = {')) {
      const list: string[] = [];
      elements.set(set ?? '', list);
      const rest = trimmed.slice('elements = {'.length);
      const end = rest.indexOf('}');
      list.push(...split(end < 0 ? rest : rest.slice(0, end)));
      if (end < 0) collecting = list;
      continue;
    }
    keep.push(line);
  }
  return { skeleton: normaliseRuleset(keep.join('\n')), elements };
}

/** Element counts per set, as read back. */
export function elementCounts(listing: IocListing): Record<IocSetName, number> {
  return Object.fromEntries(IOC_SET_NAMES.map((n) => [n, listing.elements.get(n)?.length ?? 0])) as Record<
    IocSetName,
    number
  >;
}

/**
 * The block for `table inet <table>` in the output of a command that lists every table
 * (`nft list chains`, `nft -t list sets`), normalised; null when the table is not there.
 */
export function tableBlock(text: string, table: string): string | null {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `table inet ${table} {`);
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => i > start && l === '}');
  return normaliseRuleset(lines.slice(start, end < 0 ? undefined : end + 1).join('\n'));
}

/**
 * What `nft list chains` and `nft -t list sets` print for a skeleton: chain headers without
 * rules, set declarations. Both commands skip fetching set elements, so this check costs
 * milliseconds however many addresses are loaded; rule changes are caught by full checks.
 */
export function structureOf(skeleton: string): { chains: string; sets: string } {
  const lines = skeleton.split('\n').map((l) => l.trim());
  const head = lines[0]!;
  const chains = [head];
  const sets = [head];
  let block: 'set' | 'chain' | null = null;
  for (const l of lines.slice(1)) {
    if (l.startsWith('set ')) block = 'set';
    else if (l.startsWith('chain ')) block = 'chain';
    if (block === 'set') sets.push(l);
    if (block === 'chain' && (l.startsWith('chain ') || l.startsWith('type ') || l === '}')) chains.push(l);
    if (l === '}') block = null;
  }
  chains.push('}');
  sets.push('}');
  return { chains: normaliseRuleset(chains.join('\n')), sets: normaliseRuleset(sets.join('\n')) };
}

function split(s: string): string[] {
  return s.split(/[\s,]+/).filter((e) => e !== '');
}
