import type { Indicator, IndicatorActionResult, IndicatorImportResult } from '@quell/contracts';
import { printRecord, say, when } from '../output.js';

export function scope(i: Pick<Indicator, 'deviceGroupIds'>): string {
  return i.deviceGroupIds.length ? i.deviceGroupIds.join(', ') : 'all devices';
}

export function printIndicator(i: Indicator): void {
  printRecord([
    ['id', i.id],
    ['type', i.type],
    ['value', i.value],
    ['action', i.action],
    ['title', i.title],
    ['description', i.description],
    ['severity', i.severity],
    ['alerts', i.generateAlert ? 'yes' : 'no'],
    ['expires', i.expiresAt ? `${when(i.expiresAt)}${i.expired ? ' (expired)' : ''}` : 'never'],
    ['applies to', scope(i)],
    ['source', i.externalId ? `${i.source} (${i.externalId})` : i.source],
    ['created', `${when(i.createdAt)} by ${i.createdBy}`],
    ['updated', when(i.updatedAt)],
  ]);
}

/** What a create or remove came to: applied, waiting for approval, or still queued. */
export function printOutcome(r: IndicatorActionResult, verb: string): void {
  if (r.outcome === 'applied') {
    if (r.indicator)
      say(
        `indicator ${r.indicator.id} ${verb}: ${r.indicator.type} ${r.indicator.value} → ${r.indicator.action} (${scope(r.indicator)})`,
      );
    else say(`indicator ${verb} (action ${r.action.id})`);
    return;
  }
  if (r.outcome === 'pending_approval') {
    say(
      `action ${r.action.id} ${r.action.type} waits for approval (${r.action.approvalReason}); \`quell actions approve ${r.action.id}\``,
    );
    return;
  }
  say(
    `action ${r.action.id} ${r.action.type} is ${r.action.status}; follow it with \`quell actions show ${r.action.id}\``,
  );
}

export function printImport(r: IndicatorImportResult): void {
  const what = r.dryRun ? 'would import' : 'imported';
  say(
    `${what} ${r.imported} new, ${r.updated} updated, ${r.removed} withdrawn, ${r.rejected.length} rejected${r.ignored ? `, ${r.ignored} other objects ignored` : ''}`,
  );
  for (const x of r.rejected.slice(0, 50)) {
    const where =
      x.row !== undefined ? `line ${x.row}` : `object ${x.index ?? '?'}${x.stixId ? ` (${x.stixId})` : ''}`;
    say(`  ${where}${x.value ? ` ${x.value}` : ''}: ${x.reason}`);
  }
  if (r.rejected.length > 50) say(`  … and ${r.rejected.length - 50} more (--json lists them all)`);
}
