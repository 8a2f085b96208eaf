import { describe, expect, it } from 'vitest';
import type { Detection } from '@quell/contracts/agent';
import type { ScanRequest, Scanner } from '../ports.js';
import { RunAvScanHandler, type ScanIndicators } from './run-av-scan.handler.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

/** Detects through the request's indicator lookup only, like the file scanner's hash engine. */
function scannerOver(files: { path: string; sha256: string }[]): Scanner & { req: ScanRequest | null } {
  const s = {
    req: null as ScanRequest | null,
    async scan(req: ScanRequest) {
      s.req = req;
      const detections: Detection[] = [];
      for (const f of files) {
        const sig = req.indicatorSignature?.(f.sha256);
        if (sig) detections.push({ ...f, size: 1, engine: 'hash', name: sig.name, severity: sig.severity });
      }
      return { filesScanned: files.length, filesSkipped: 0, detections, engines: ['hash'], durationMs: 1 };
    },
  };
  return s;
}

const ctx = () => ({
  signal: new AbortController().signal,
  progress: () => undefined,
  command: {
    actionId: 'act-1',
    deviceId: 'dev-1',
    type: 'run_av_scan' as const,
    params: { scope: 'quick' },
    issuedAt: 0,
    expiresAt: 1,
    timeoutMs: 1000,
  },
});

describe('RunAvScanHandler with hash indicators', () => {
  it('detects indicator hashes and remediates the detections, listing what it did', async () => {
    const found: { path: string; sha256: string }[][] = [];
    const indicators: ScanIndicators = {
      signature: (sha) => (sha === SHA_A ? { name: 'indicator:dropper', severity: 'high' } : null),
      remediate: async (f) => {
        found.push([...f]);
        return [{ path: '/tmp/a', sha256: SHA_A, outcome: 'quarantined' }];
      },
    };
    const scanner = scannerOver([
      { path: '/tmp/a', sha256: SHA_A },
      { path: '/tmp/b', sha256: SHA_B },
    ]);
    const h = new RunAvScanHandler(scanner, 0.5, undefined, async () => indicators);
    const out = await h.run(ctx());
    expect(out.result).toMatchObject({ detections: 1 });
    expect(out.detections).toEqual([expect.objectContaining({ path: '/tmp/a', name: 'indicator:dropper' })]);
    expect(found).toEqual([[expect.objectContaining({ path: '/tmp/a', sha256: SHA_A })]]);
    expect(out.evidence.remediated).toEqual([{ path: '/tmp/a', sha256: SHA_A, outcome: 'quarantined' }]);
  });

  it('scans without indicators when none are loaded', async () => {
    const scanner = scannerOver([{ path: '/tmp/a', sha256: SHA_A }]);
    const out = await new RunAvScanHandler(scanner, 0.5).run(ctx());
    expect(scanner.req?.indicatorSignature).toBeUndefined();
    expect(out.result).toMatchObject({ detections: 0 });
    expect(out.evidence).not.toHaveProperty('remediated');
  });
});
