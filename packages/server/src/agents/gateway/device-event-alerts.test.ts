import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '@quell/contracts';
import { eventAlert } from './device-event-alerts.js';
import { EventRateLimit } from './event-rate-limit.js';

const who = { deviceId: 'dev_1', hostname: 'ws01' };
const HOUR = 3_600_000;
const opts = { dedupWindowMs: HOUR };
const denial = (over: Partial<DeviceEvent & { kind: 'exec_denied' }> = {}): DeviceEvent => ({
  kind: 'exec_denied',
  path: '/tmp/x',
  pid: 1,
  sha256: 'a'.repeat(64),
  reason: 'untrusted',
  indicatorId: null,
  at: 10 * HOUR + 5,
  ...over,
});

describe('eventAlert', () => {
  it('gives denials of one file on one device within a window the same alert id, and another window another', () => {
    const a = eventAlert(who, denial(), null, opts)!;
    expect(eventAlert(who, denial({ pid: 9, at: 10 * HOUR + 999 }), null, opts)!.id).toBe(a.id);
    expect(eventAlert(who, denial({ at: 11 * HOUR }), null, opts)!.id).not.toBe(a.id);
    expect(eventAlert({ ...who, deviceId: 'dev_2' }, denial(), null, opts)!.id).not.toBe(a.id);
    expect(eventAlert(who, denial({ sha256: null }), null, opts)!.id).not.toBe(a.id);
  });

  it.each([
    ['untrusted', null, 'medium'],
    ['blocked_indicator', null, 'medium'],
    ['blocked_indicator', { title: 'x', severity: 'high', generateAlert: true }, 'high'],
  ] as const)('a %s denial (indicator %j) is %s', (reason, indicator, severity) => {
    expect(eventAlert(who, denial({ reason, indicatorId: 'i1' }), indicator, opts)?.severity).toBe(severity);
  });

  it('raises no alert for a block indicator that asks for none, nor for observations', () => {
    const quiet = { title: 'x', severity: 'high', generateAlert: false } as const;
    expect(
      eventAlert(who, denial({ reason: 'blocked_indicator', indicatorId: 'i1' }), quiet, opts),
    ).toBeNull();
    const obs: DeviceEvent = {
      kind: 'file_observed',
      source: 'exec',
      path: '/x',
      sha256: 'a'.repeat(64),
      sha1: null,
      md5: null,
      size: null,
      user: null,
      at: 1,
    };
    expect(eventAlert(who, obs, null, opts)).toBeNull();
  });

  it('says a failed remediation is high whatever the indicator', () => {
    const e: DeviceEvent = {
      kind: 'remediated',
      path: '/x/evil',
      sha256: 'b'.repeat(64),
      indicatorId: null,
      quarantineId: null,
      outcome: 'failed',
      error: 'EBUSY',
      at: 1,
    };
    expect(eventAlert(who, e, { title: 't', severity: 'low', generateAlert: true }, opts)).toMatchObject({
      severity: 'high',
      title: 'Remediation of evil failed',
    });
  });
});

describe('EventRateLimit', () => {
  it('lets a burst through, then refills at the sustained rate', () => {
    const l = new EventRateLimit({ perSecond: 10, burst: 100 });
    expect(l.take('d', 100, 0)).toEqual({ ok: true });
    expect(l.take('d', 10, 0)).toEqual({ ok: false, retryAfterMs: 1000 });
    expect(l.take('other', 50, 0)).toEqual({ ok: true });
    expect(l.take('d', 10, 1000)).toEqual({ ok: true });
  });
});
