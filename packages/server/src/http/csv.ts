import type { Action } from '@quell/contracts';

export const ACTION_CSV_COLUMNS = [
  'id',
  'createdAt',
  'updatedAt',
  'type',
  'title',
  'status',
  'policyStatus',
  'source',
  'targetKind',
  'target',
  'deviceGroupId',
  'requestedBy',
  'requestComment',
  'decidedBy',
  'decisionComment',
  'incidentId',
  'undoOf',
  'undoneBy',
  'error',
] as const;

/**
 * One CSV cell (RFC 4180 quoting). Cells that a spreadsheet would run as a formula get a leading
 * apostrophe: action comments are user input and must not execute when an analyst opens the file.
 */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function actionCsvRow(a: Action): string {
  const values: Record<(typeof ACTION_CSV_COLUMNS)[number], unknown> = {
    id: a.id,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    type: a.type,
    title: a.title,
    status: a.status,
    policyStatus: a.policyStatus,
    source: a.source,
    targetKind: a.target.kind,
    target: a.target.id,
    deviceGroupId: a.deviceGroupId,
    requestedBy: a.requestedBy,
    requestComment: a.requestComment,
    decidedBy: a.decidedBy,
    decisionComment: a.decisionComment,
    incidentId: a.incidentId,
    undoOf: a.undoOf,
    undoneBy: a.undoneBy,
    error: a.error,
  };
  return ACTION_CSV_COLUMNS.map((c) => csvCell(values[c])).join(',');
}
