import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import {
  checkIndicatorInput,
  validateIndicatorInput,
  type IndicatorDraft,
  type IndicatorInput,
} from './indicator-input.js';

const NOW = Date.parse('2030-06-01T12:00:00Z');

const base: IndicatorInput = {
  type: 'sha256',
  value: 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
  action: 'block',
  title: '  Dropper  ',
  severity: 'high',
  generateAlert: true,
  expiresAt: '2030-07-01T00:00:00+02:00',
  deviceGroupIds: ['fin', 'hr', 'fin'],
  source: 'manual',
};

function problems(d: IndicatorDraft): string[] {
  const r = checkIndicatorInput(d, NOW);
  return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.reason}`);
}

describe('indicator input validation', () => {
  it('normalises the value, title, expiry and device groups', () => {
    expect(validateIndicatorInput(base, NOW)).toEqual({
      ...base,
      value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      title: 'Dropper',
      expiresAt: '2030-06-30T22:00:00.000Z',
      deviceGroupIds: ['fin', 'hr'],
    });
  });

  it('defaults to all devices and no expiry', () => {
    const { deviceGroupIds: _g, expiresAt: _e, ...rest } = base;
    expect(validateIndicatorInput(rest, NOW)).toMatchObject({ deviceGroupIds: [], expiresAt: null });
  });

  it.each([
    ['an expiry in the past', { expiresAt: '2030-06-01T11:59:59Z' }, /expiresAt: .* is already past/],
    ['an expiry without a zone', { expiresAt: '2030-07-01 00:00' }, /expiresAt: .*ISO 8601/],
    ['an empty title', { title: '   ' }, /title: title is required/],
    ['a long title', { title: 'x'.repeat(201) }, /title: .*201 characters long; the limit is 200/],
    ['a multi-line title', { title: 'a\nb' }, /one line/],
    ['an unknown type', { type: 'ip' }, /type: type must be one of sha256, sha1/],
    ['an unknown action', { action: 'quarantine' }, /action: action must be one of allow, audit/],
    ['an unknown severity', { severity: 'critical' }, /severity: severity must be one of/],
    ['an alerting allow', { action: 'allow' }, /an allow indicator cannot raise alerts/],
    ['a bad value', { value: 'abc' }, /value: "abc" is not a valid sha256 indicator: it has 3 hex digits/],
    ['device groups that are not a list', { deviceGroupIds: 'fin' }, /deviceGroupIds: .*list/],
    ['an empty device group id', { deviceGroupIds: [''] }, /deviceGroupIds/],
  ] as const)('rejects %s', (_name, patch, reason) => {
    expect(problems({ ...base, ...patch }).join('\n')).toMatch(reason);
  });

  it('reports every problem at once, in one InputError', () => {
    const bad = { ...base, title: '', severity: 'urgent', value: 'nope' };
    expect(problems(bad)).toHaveLength(3);
    expect(() => validateIndicatorInput(bad, NOW)).toThrow(InputError);
    expect(() => validateIndicatorInput(bad, NOW)).toThrow(/^The indicator is not valid: .*; .*; .*\.$/);
  });
});
