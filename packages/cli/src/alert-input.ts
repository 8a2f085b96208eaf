import { CliError } from './errors.js';

/** One alert read from the input, with where it came from so errors can point at it. */
export interface InputItem {
  /** `alert #3`, or `line 12` for NDJSON. */
  where: string;
  value: Record<string, unknown>;
}

export interface ParsedAlerts {
  /** Alerts in Quell's own schema, for POST /api/alerts. */
  quell: InputItem[];
  /** OCSF Detection Findings (class_uid 2004), for POST /api/alerts/ocsf. */
  ocsf: InputItem[];
}

const OCSF_DETECTION_FINDING = 2004;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One JSON document's alerts: a single alert, an array of them, or `{ alerts: [...] }`. */
function flatten(doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc;
  if (isObject(doc) && Array.isArray(doc.alerts)) return doc.alerts;
  return [doc];
}

function classify(items: Array<{ where: string; value: unknown }>): ParsedAlerts {
  const out: ParsedAlerts = { quell: [], ocsf: [] };
  for (const { where, value } of items) {
    if (!isObject(value)) throw new CliError(`${where} is not a JSON object`, 'QUELL_E_INPUT');
    if ('class_uid' in value) {
      if (value.class_uid !== OCSF_DETECTION_FINDING) {
        throw new CliError(
          `${where} is OCSF class ${JSON.stringify(value.class_uid)}; only Detection Findings (class_uid 2004) can be ingested`,
          'QUELL_E_INPUT',
        );
      }
      out.ocsf.push({ where, value });
    } else {
      out.quell.push({ where, value });
    }
  }
  return out;
}

/**
 * Reads alerts from a file's text: one JSON document (an alert, an array, `{alerts: [...]}`, or
 * OCSF findings), or NDJSON with one such document per line.
 */
export function parseAlerts(text: string, source: string): ParsedAlerts {
  const trimmed = text.trim();
  if (!trimmed) throw new CliError(`${source} is empty; it should hold JSON alerts`, 'QUELL_E_INPUT');
  let whole: unknown;
  let wholeError: Error | undefined;
  try {
    whole = JSON.parse(trimmed);
  } catch (e) {
    wholeError = e as Error;
  }
  if (!wholeError) {
    const docs = flatten(whole);
    return classify(docs.map((value, i) => ({ where: `alert #${i + 1}`, value })));
  }
  const lines = trimmed.split(/\r?\n/);
  if (lines.length < 2)
    throw new CliError(`${source} is not valid JSON: ${wholeError.message}`, 'QUELL_E_INPUT');
  // More than one line that is not one document: NDJSON, one document per line.
  const items: Array<{ where: string; value: unknown }> = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch (e) {
      throw new CliError(
        `${source} line ${i + 1} is not valid JSON (${(e as Error).message}); give one JSON document, or one per line (NDJSON)`,
        'QUELL_E_INPUT',
      );
    }
    const docs = flatten(doc);
    docs.forEach((value, j) =>
      items.push({ where: docs.length > 1 ? `line ${i + 1} alert #${j + 1}` : `line ${i + 1}`, value }),
    );
  });
  return classify(items);
}

/**
 * Rewrites the API's field paths (`body.alerts.3.title`, `body.3.time`) into the position in the
 * user's file (`alert #1004, field title`), since the API only sees one batch.
 */
export function locateInBatch(message: string, batch: readonly InputItem[], shape: 'quell' | 'ocsf'): string {
  const re = shape === 'quell' ? /body\.alerts\.(\d+)(\.[^\s"]+)?/g : /body\.(\d+)(\.[^\s"]+)?/g;
  return message
    .replace(re, (match, idx: string, rest: string | undefined) => {
      const item = batch[Number(idx)];
      if (!item) return match;
      return rest ? `${item.where}, field ${rest.slice(1)}` : item.where;
    })
    .replace(/^Invalid body: /, 'Invalid alert: ');
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
