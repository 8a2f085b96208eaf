import type { AgentEventSink } from '../events/agent-events.js';
import type { Scanner } from '../ports.js';

/**
 * The scanner, reporting each detection as a file observation with source `scan` as well (so
 * the file page lists the device where a scan found it, beside the alert the result raises).
 * Detections an allow indicator suppresses are observed too: the file was there all the same.
 */
export function observingScanner(
  scanner: Scanner,
  sink: AgentEventSink,
  now: () => number = Date.now,
): Scanner {
  return {
    async scan(req, ctx) {
      const report = await scanner.scan(req, ctx);
      const at = now();
      for (const d of report.detections)
        sink.emit({
          kind: 'file_observed',
          source: 'scan',
          path: d.path,
          sha256: d.sha256,
          sha1: null,
          md5: null,
          size: d.size,
          user: null,
          at,
        });
      return report;
    },
  };
}
