import type { CollectedItem } from '../ports.js';
import type { CollectCategory } from './catalog.types.js';

/** One line of `summary.json`: a file in the package, or the reason a source is not there. */
export interface SummaryEntry extends CollectedItem {
  /** Catalog item id this entry belongs to (a files item may yield many entries). */
  item: string;
  category: CollectCategory;
  /** SHA-256 of the content as stored in the zip; null when nothing was stored. */
  sha256: string | null;
  /** The content is shorter than the source (size cap, log tail, listing limit). */
  truncated: boolean;
  /** How it was shortened, when `truncated`. */
  note: string | null;
}

export const ITEM_STATUSES = [
  'collected',
  'missing',
  'failed',
] as const satisfies readonly CollectedItem['status'][];

/** The limits a package was collected with, recorded so a reader knows what "truncated" means. */
export interface CollectionLimits {
  maxFileBytes: number;
  commandTimeoutMs: number;
  hashMaxBytes: number;
  maxFilesPerItem: number;
  maxListingEntries: number;
}

/** Content of `summary.json`. */
export interface PackageSummary {
  format: 'quell-investigation/1';
  hostname: string;
  startedAt: string;
  finishedAt: string;
  fsRoot: string;
  procRoot: string;
  limits: CollectionLimits;
  counts: Record<CollectedItem['status'], number>;
  items: SummaryEntry[];
}

export function countByStatus(items: readonly SummaryEntry[]): Record<CollectedItem['status'], number> {
  const counts: Record<CollectedItem['status'], number> = { collected: 0, missing: 0, failed: 0 };
  for (const i of items) counts[i.status]++;
  return counts;
}

/** `summary.txt`: the same facts for a person opening the zip, problems first. */
export function renderSummaryText(s: PackageSummary): string {
  const lines = [
    `Quell investigation package — ${s.hostname}`,
    `Collected ${s.startedAt} .. ${s.finishedAt}`,
    `Files read under ${s.fsRoot}, processes from ${s.procRoot}; commands observe the live host.`,
    `Limits: ${s.limits.maxFileBytes} bytes per item, ${s.limits.commandTimeoutMs} ms per command, ` +
      `hashes of files up to ${s.limits.hashMaxBytes} bytes.`,
    `Items: ${s.counts.collected} collected, ${s.counts.missing} missing, ${s.counts.failed} failed.`,
    '',
  ];
  const problems = s.items.filter((i) => i.status !== 'collected');
  if (problems.length) {
    lines.push('Not collected or incomplete:');
    for (const i of problems) lines.push(`  [${i.status}] ${i.item}: ${i.source} — ${i.error ?? ''}`);
    lines.push('');
  }
  lines.push('Contents:');
  for (const i of s.items.filter((e) => e.status === 'collected' || e.bytes > 0)) {
    const flag = i.truncated ? ` (truncated: ${i.note ?? 'size cap'})` : '';
    lines.push(`  ${i.name}  ${i.bytes} bytes  sha256 ${i.sha256 ?? '-'}  from ${i.source}${flag}`);
  }
  return `${lines.join('\n')}\n`;
}
