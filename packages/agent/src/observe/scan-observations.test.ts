import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../events/agent-events.js';
import type { JobContext, ScanReport, Scanner } from '../ports.js';
import { observingScanner } from './scan-observations.js';

describe('observingScanner', () => {
  it('reports each detection as a file observation with source scan and passes the report on unchanged', async () => {
    const report: ScanReport = {
      filesScanned: 3,
      filesSkipped: 0,
      engines: ['hash'],
      durationMs: 5,
      detections: [
        {
          path: '/tmp/eicar.com',
          sha256: 'e'.repeat(64),
          size: 68,
          engine: 'hash',
          name: 'EICAR',
          severity: 'medium',
        },
      ],
    };
    const inner: Scanner = { scan: () => Promise.resolve(report) };
    const seen: AgentEvent[] = [];
    const out = await observingScanner(inner, { emit: (e) => seen.push(e) }, () => 42).scan(
      { scope: 'quick', yaraRules: [], hashSignatures: [], cpuLimit: 1 },
      {} as JobContext,
    );
    expect(out).toBe(report);
    expect(seen).toEqual([
      {
        kind: 'file_observed',
        source: 'scan',
        path: '/tmp/eicar.com',
        sha256: 'e'.repeat(64),
        sha1: null,
        md5: null,
        size: 68,
        user: null,
        at: 42,
      },
    ]);
  });
});
