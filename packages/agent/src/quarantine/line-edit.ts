/**
 * Line surgery on persistence files, on latin1 strings (one char per byte, see
 * `asBytesText`), so removing and reinserting gives back the exact bytes.
 */

/** Splits keeping each line's `\n`; the last line has none when the file does not end with one. */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Lines `[start, end)`. */
export interface LineRange {
  start: number;
  end: number;
}

/** A removed run of lines: where it started in the original file, and its exact text. */
export interface RemovedLines {
  index: number;
  text: string;
}

/** Sorts and merges overlapping or touching ranges. */
export function mergeRanges(ranges: readonly LineRange[]): LineRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: LineRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

export function removeRanges(
  lines: readonly string[],
  ranges: readonly LineRange[],
): { text: string; removed: RemovedLines[] } {
  const merged = mergeRanges(ranges);
  const removed = merged.map((r) => ({ index: r.start, text: lines.slice(r.start, r.end).join('') }));
  const drop = new Set(merged.flatMap((r) => Array.from({ length: r.end - r.start }, (_, k) => r.start + k)));
  return { text: lines.filter((_, i) => !drop.has(i)).join(''), removed };
}

/**
 * Puts removed runs back at their original indices into the text they were removed from:
 * inverse of {@link removeRanges} (ascending order, so each index is already in final
 * coordinates when its run goes in).
 */
export function reinsertRanges(text: string, removed: readonly RemovedLines[]): string {
  const lines = splitLines(text);
  for (const r of [...removed].sort((a, b) => a.index - b.index)) {
    lines.splice(Math.min(r.index, lines.length), 0, ...splitLines(r.text));
  }
  return joinWithNewlines(lines);
}

/**
 * Appends the runs not already present, each on its own line; used when the file changed since
 * Quell edited it, so the original positions mean nothing any more.
 */
export function appendRanges(
  text: string,
  removed: readonly RemovedLines[],
): { text: string; appended: number } {
  let out = text;
  let appended = 0;
  for (const r of removed) {
    const run = r.text.endsWith('\n') ? r.text : `${r.text}\n`;
    if (containsRun(out, run)) continue;
    if (out.length && !out.endsWith('\n')) out += '\n';
    out += run;
    appended++;
  }
  return { text: out, appended };
}

function containsRun(text: string, run: string): boolean {
  const t = text.endsWith('\n') || !text ? text : `${text}\n`;
  return t.startsWith(run) || t.includes(`\n${run}`);
}

/**
 * A newline-less line can only have been last; should a run land after it anyway (the caller
 * passed indices past the end), keep the lines apart rather than glue two commands together.
 */
function joinWithNewlines(lines: string[]): string {
  return lines.map((l, i) => (i < lines.length - 1 && !l.endsWith('\n') ? `${l}\n` : l)).join('');
}
