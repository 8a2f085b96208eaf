import { describe, expect, it } from 'vitest';
import type { IsolationTarget } from '../ports.js';
import { InMemoryFirewall } from './in-memory.firewall.js';
import { applyIsolationSafely } from './safe-isolate.js';

const target: IsolationTarget = {
  spec: { mode: 'full', exclusions: [], allowDns: false, allowDhcp: false },
  management: [{ address: '192.0.2.10', port: 8443 }],
};
const fast = { rollbackWithinMs: 300, probeIntervalMs: 20, probeTimeoutMs: 50 };

describe('applyIsolationSafely', () => {
  it('keeps isolation and returns the verified read-back when the server answers', async () => {
    const fw = new InMemoryFirewall();
    const result = await applyIsolationSafely(fw, target, async () => true, fast);
    expect(result).toMatchObject({ ok: true, reachedServer: true, probeAttempts: 1 });
    expect(result.ok && result.readback.matches).toBe(true);
    expect(fw.table).not.toBeNull();
  });

  it('retries the probe until the server answers within the window', async () => {
    const fw = new InMemoryFirewall();
    let n = 0;
    const result = await applyIsolationSafely(fw, target, async () => ++n >= 3, fast);
    expect(result).toMatchObject({ ok: true, probeAttempts: 3 });
  });

  it('rolls isolation back and says why when the server never answers', async () => {
    const fw = new InMemoryFirewall();
    const started = Date.now();
    const result = await applyIsolationSafely(fw, target, async () => false, fast);
    expect(result).toMatchObject({
      ok: false,
      reason: 'server_unreachable',
      rolledBack: true,
      reachedServer: false,
    });
    expect(!result.ok && result.error).toMatch(/not reachable within 300 ms/);
    expect(fw.table).toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rolls back on time even when the probe hangs and ignores its abort signal', async () => {
    const fw = new InMemoryFirewall();
    const started = Date.now();
    const result = await applyIsolationSafely(fw, target, () => new Promise<boolean>(() => undefined), fast);
    expect(result).toMatchObject({ ok: false, reason: 'server_unreachable', rolledBack: true });
    expect(!result.ok && result.error).toMatch(/probe timed out/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('treats a throwing probe as unreachable', async () => {
    const fw = new InMemoryFirewall();
    const result = await applyIsolationSafely(
      fw,
      target,
      () => Promise.reject(new Error('ECONNREFUSED')),
      fast,
    );
    expect(result).toMatchObject({ ok: false, reason: 'server_unreachable' });
    expect(!result.ok && result.error).toMatch(/ECONNREFUSED/);
  });

  it('reports rollback_failed when the rules cannot be removed either', async () => {
    const fw = new InMemoryFirewall();
    fw.failRemove = 'nft -f failed: Device or resource busy';
    const result = await applyIsolationSafely(fw, target, async () => false, fast);
    expect(result).toMatchObject({ ok: false, reason: 'rollback_failed', rolledBack: false });
    expect(!result.ok && result.error).toMatch(/Device or resource busy/);
  });

  it('refuses an invalid target without touching the firewall or probing', async () => {
    const fw = new InMemoryFirewall();
    let probed = false;
    const bad = { ...target, management: [{ address: '10.0.0.1; flush ruleset', port: 1 }] };
    const result = await applyIsolationSafely(fw, bad, async () => (probed = true), fast);
    expect(result).toMatchObject({ ok: false, reason: 'invalid_target', rolledBack: false });
    expect(probed).toBe(false);
    expect(fw.calls.apply).toBe(0);
  });

  it('reports apply_failed without probing when nothing was put in place', async () => {
    const fw = new InMemoryFirewall();
    fw.failApply = 'nft -f failed: syntax error';
    let probed = false;
    const result = await applyIsolationSafely(fw, target, async () => (probed = true), fast);
    expect(result).toMatchObject({ ok: false, reason: 'apply_failed', error: 'nft -f failed: syntax error' });
    expect(probed).toBe(false);
  });
});
