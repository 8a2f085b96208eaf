import Table from 'cli-table3';
import type { Command } from 'commander';

type Cell = string | number | boolean | null | undefined;

/** Adds `--json` to a read command: print the API's JSON as it came, for scripts and `jq`. */
export function withJson(cmd: Command): Command {
  return cmd.option('--json', 'print the raw API JSON');
}

export function wantsJson(cmd: Command): boolean {
  return cmd.opts<{ json?: boolean }>().json === true;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Notes about the output (paging hints, progress) go to stderr so stdout stays parseable. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

function cell(v: Cell): string {
  if (v === null || v === undefined || v === '') return '-';
  return String(v);
}

// No colours: output is piped and grepped as often as it is read.
const plain = { head: [] as string[], border: [] as string[] };

/** A table with a header row, or a line saying there is nothing, so empty output is never ambiguous. */
export function printTable(head: string[], rows: Cell[][], empty = 'nothing to show'): void {
  if (rows.length === 0) {
    say(`(${empty})`);
    return;
  }
  const t = new Table({ head, style: plain, wordWrap: true });
  for (const r of rows) t.push(r.map(cell));
  say(t.toString());
}

/** A two-column key/value table for one record. */
export function printRecord(pairs: Array<[string, Cell]>): void {
  const t = new Table({ style: plain, wordWrap: true });
  for (const [k, v] of pairs) t.push({ [k]: cell(v) });
  say(t.toString());
}

/** `2026-06-01T08:00:00.000Z` as `2026-06-01 08:00:00Z`: sortable, and short enough for a column. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function list(values: readonly string[] | null | undefined): string {
  return values && values.length ? values.join(', ') : '-';
}

/** Tells how to fetch the next page, on stderr. */
export function pageHint(nextCursor: string | null): void {
  if (nextCursor) note(`more results: add --cursor ${nextCursor}`);
}
