import type { IndicatorType } from '@quell/core';
import {
  parseStixPattern,
  PatternSyntaxError,
  renderPath,
  type Comparison,
  type ObjectPath,
  type Observation,
} from './stix-pattern.parser.js';

/** One value a pattern names, not yet normalised. */
export interface PatternValue {
  type: IndicatorType;
  value: string;
}

/** The single-property object paths that map to an indicator type. */
const VALUE_PATHS: Record<string, IndicatorType> = {
  'ipv4-addr': 'ipv4',
  'ipv6-addr': 'ipv6',
  'domain-name': 'domain',
  url: 'url',
};

/**
 * Hash names as feeds write them. The spec's vocabulary says `MD5`, `SHA-1`, `SHA-256` (quoted
 * when they hold a hyphen); producers also emit `md5`, `sha256`, `'sha-256'`, so names are
 * compared without case or hyphens.
 */
const HASHES: Record<string, IndicatorType> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256' };

const SUPPORTED =
  "file:hashes.'SHA-256' / 'SHA-1' / MD5, ipv4-addr:value, ipv6-addr:value, domain-name:value and url:value";

class Unsupported extends Error {}

function typeOfPath(p: ObjectPath): IndicatorType {
  const [first, second, ...rest] = p.steps;
  if (p.objectType === 'file' && first?.kind === 'property' && first.name === 'hashes') {
    if (second?.kind === 'property' && rest.length === 0) {
      const t = HASHES[second.name.toUpperCase().replace(/[-_]/g, '')];
      if (t) return t;
      throw new Unsupported(`Quell matches files by SHA-256, SHA-1 or MD5, not ${second.name}`);
    }
  }
  const t = VALUE_PATHS[p.objectType];
  if (t && first?.kind === 'property' && first.name === 'value' && !second) return t;
  throw new Unsupported(`the object path ${renderPath(p)} is not supported; Quell imports ${SUPPORTED}`);
}

function fromComparison(c: Comparison, out: PatternValue[]): void {
  switch (c.kind) {
    case 'OR':
      fromComparison(c.left, out);
      fromComparison(c.right, out);
      return;
    case 'AND':
      throw new Unsupported(
        'it joins comparisons with AND; an indicator matches one value, so only OR can be imported',
      );
    case 'exists':
      throw new Unsupported('it uses EXISTS; only "=" comparisons can be imported');
    case 'test': {
      if (c.negated) throw new Unsupported(`it uses NOT ${c.operator}; only "=" comparisons can be imported`);
      if (c.operator !== '=')
        throw new Unsupported(`it uses the operator ${c.operator}; only "=" comparisons can be imported`);
      const type = typeOfPath(c.path);
      const [v] = c.values;
      if (v?.kind !== 'string')
        throw new Unsupported(
          `it compares ${renderPath(c.path)} with a ${v?.kind ?? 'missing'} value, not a string`,
        );
      out.push({ type, value: v.value });
    }
  }
}

function fromObservation(o: Observation, out: PatternValue[]): void {
  switch (o.kind) {
    case 'OR':
      fromObservation(o.left, out);
      fromObservation(o.right, out);
      return;
    case 'AND':
      throw new Unsupported(
        'it joins observations with AND; an indicator matches one observation, so only OR can be imported',
      );
    case 'FOLLOWEDBY':
      throw new Unsupported(
        'it uses FOLLOWEDBY (a sequence of observations), which an indicator cannot express',
      );
    case 'qualified': {
      const q = o.qualifier === 'START' ? 'START/STOP' : o.qualifier;
      throw new Unsupported(`it uses the ${q} qualifier; Quell indicators have no time window or repetition`);
    }
    case 'observation':
      fromComparison(o.comparison, out);
  }
}

/**
 * The values a STIX pattern names, one per `=` comparison joined by OR (inside or between
 * observations), without repeats; or why the pattern cannot become indicators.
 */
export function patternValues(pattern: string): PatternValue[] | string {
  let tree: Observation;
  try {
    tree = parseStixPattern(pattern);
  } catch (e) {
    if (e instanceof PatternSyntaxError) return `its pattern is malformed: ${e.message}`;
    throw e;
  }
  const out: PatternValue[] = [];
  try {
    fromObservation(tree, out);
  } catch (e) {
    if (e instanceof Unsupported) return `its pattern cannot be imported: ${e.message}`;
    throw e;
  }
  const seen = new Set<string>();
  return out.filter((v) => {
    const key = `${v.type}\u0000${v.value}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
