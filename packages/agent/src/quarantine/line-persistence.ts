import { forcedCommand } from './authorized-keys.js';
import type { LineRange } from './line-edit.js';
import { mentionsName, refersToPath } from './reference-match.js';
import type { PersistenceKind } from './quarantine.types.js';

/** Persistence kinds edited line by line (the others are whole files). */
export const LINE_KINDS = ['cron', 'shell_rc', 'ld_preload', 'authorized_keys', 'rc_local'] as const;
export type LineKind = (typeof LINE_KINDS)[number] & PersistenceKind;

/** Shell syntax continues a line that ends in `\`: the command is the whole logical line. */
const CONTINUES: Record<LineKind, boolean> = {
  cron: false,
  shell_rc: true,
  ld_preload: false,
  authorized_keys: false,
  rc_local: true,
};

const isComment = (line: string): boolean => /^\s*#/.test(line);
const continued = (line: string | undefined): boolean => !!line && /\\\r?\n$/.test(line);

/** The part of a line that can start something: for authorized_keys only the forced command. */
function activeText(kind: LineKind, line: string): string | null {
  if (isComment(line)) return null;
  return kind === 'authorized_keys' ? forcedCommand(line) : line;
}

/** The logical line (continuations included) around physical line `i`. */
function logicalLine(kind: LineKind, lines: readonly string[], i: number): LineRange {
  let start = i;
  let end = i + 1;
  if (CONTINUES[kind]) {
    while (start > 0 && continued(lines[start - 1])) start--;
    while (end < lines.length && continued(lines[end - 1])) end++;
  }
  return { start, end };
}

/**
 * Lines (as ranges, continuations included) that refer to any of `paths` by full path. Paths
 * and lines are in the byte-text form (see `asBytesText`).
 */
export function referringLines(
  kind: LineKind,
  lines: readonly string[],
  paths: readonly string[],
): LineRange[] {
  const out: LineRange[] = [];
  lines.forEach((line, i) => {
    const text = activeText(kind, line);
    if (text !== null && paths.some((p) => refersToPath(text, p))) out.push(logicalLine(kind, lines, i));
  });
  return out;
}

/** Indices of lines that mention one of `names` (basenames) but no full path: reported, not removed. */
export function suspectLines(
  kind: LineKind,
  lines: readonly string[],
  paths: readonly string[],
  names: readonly string[],
): number[] {
  const out: number[] = [];
  lines.forEach((line, i) => {
    const text = activeText(kind, line);
    if (text === null || paths.some((p) => refersToPath(text, p))) return;
    if (names.some((n) => mentionsName(text, n))) out.push(i);
  });
  return out;
}
