import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError, type IndicatorInput } from '@quell/core';
import { IMPORT_LIMITS } from './indicator-import.js';
import { exportStixBundle, stixPattern, type StixExportIndicator } from './stix-export.js';
import { importStixBundle, importStixObjects } from './stix-import.js';

const now = Date.parse('2030-06-01T00:00:00Z');
const fixture = readFileSync(
  new URL('../../../test/fixtures/stix/mixed-bundle.json', import.meta.url),
  'utf8',
);
const id = (n: number) => `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('STIX bundle import', () => {
  const r = importStixBundle(fixture, { now });

  it('imports the indicators it can express, with their STIX properties and x_quell_* settings', () => {
    const base = {
      source: 'import_stix' as const,
      expiresAt: null,
      deviceGroupIds: [] as string[],
      generateAlert: true,
    };
    expect(r.accepted).toEqual<IndicatorInput[]>([
      {
        ...base,
        type: 'sha256',
        value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        action: 'block_and_remediate',
        title: 'Dropper',
        description: 'Seen in the spring campaign.',
        severity: 'high',
        expiresAt: '2031-01-01T00:00:00.000Z',
        deviceGroupIds: ['finance'],
        externalId: id(1),
      },
      {
        ...base,
        type: 'md5',
        value: 'd41d8cd98f00b204e9800998ecf8427e',
        action: 'block',
        title: 'Loader hashes',
        severity: 'medium',
        externalId: id(2),
      },
      {
        ...base,
        type: 'sha1',
        value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
        action: 'block',
        title: 'Loader hashes',
        severity: 'medium',
        externalId: id(2),
      },
      {
        ...base,
        type: 'ipv4',
        value: '198.51.100.0/24',
        action: 'block',
        title: 'C2 ranges',
        severity: 'medium',
        externalId: id(3),
      },
      {
        ...base,
        type: 'ipv6',
        value: '2001:db8::1',
        action: 'block',
        title: 'C2 ranges',
        severity: 'medium',
        externalId: id(3),
      },
      {
        ...base,
        type: 'domain',
        value: 'xn--bcher-kva.example',
        action: 'audit',
        title: 'Phishing site',
        severity: 'low',
        externalId: id(4),
      },
      {
        ...base,
        type: 'url',
        value: 'http://phish.example/login?x=1',
        action: 'audit',
        title: 'Phishing site',
        severity: 'low',
        externalId: id(4),
      },
      {
        ...base,
        type: 'domain',
        value: 'new-version.example',
        action: 'block',
        title: 'New version',
        severity: 'medium',
        externalId: id(21),
      },
    ]);
  });

  it('rejects the rest with the object index, STIX id and reason', () => {
    expect(r.rejected.map((x) => [x.index, x.stixId, x.reason])).toEqual([
      [5, id(5), expect.stringMatching(/joins comparisons with AND/)],
      [6, id(6), expect.stringMatching(/FOLLOWEDBY/)],
      [7, id(7), expect.stringMatching(/WITHIN qualifier/)],
      [8, id(8), expect.stringMatching(/REPEATS qualifier/)],
      [9, id(9), expect.stringMatching(/START\/STOP qualifier/)],
      [10, id(10), expect.stringMatching(/operator LIKE/)],
      [11, id(11), expect.stringMatching(/object path process:name is not supported/)],
      [12, id(12), 'its pattern_type "sigma" is not supported; Quell reads STIX patterns only'],
      [13, id(13), 'it is revoked'],
      [14, id(14), 'it expired at 2029-01-01T00:00:00Z (valid_until)'],
      [15, id(15), expect.stringMatching(/its pattern is malformed: expected "\]"/)],
      [16, id(16), 'it lacks the required property valid_from'],
      [17, id(17), 'it has no spec_version; Quell imports STIX 2.1 indicators'],
      [18, id(18), expect.stringMatching(/"abc123" is not a valid sha256 indicator/)],
      [19, id(19), expect.stringMatching(/joins observations with AND/)],
    ]);
    expect(r.revokedIds).toEqual([id(13)]);
    // The identity, the relationship and the older version of indicator 21.
    expect(r.ignored).toBe(3);
  });

  it('fills what the object leaves out from the caller’s defaults and resolves device groups', () => {
    const groups = new Map([['finance', 'dg_fin']]);
    const again = importStixBundle(fixture, {
      now,
      defaultAction: 'audit',
      defaultSeverity: 'low',
      defaultGenerateAlert: false,
      source: 'taxii',
      resolveDeviceGroup: (g) => groups.get(g) ?? null,
    });
    expect(again.accepted[0]).toMatchObject({
      deviceGroupIds: ['dg_fin'],
      action: 'block_and_remediate',
      source: 'taxii',
    });
    expect(again.accepted[1]).toMatchObject({ action: 'audit', severity: 'low', generateAlert: false });
    const none = importStixBundle(fixture, { now, resolveDeviceGroup: () => null });
    expect(none.rejected[0]).toMatchObject({
      index: 1,
      reason: 'x_quell_device_groups: there is no device group "finance"',
    });
  });

  it.each([
    ['benign without an action', { indicator_types: ['benign'] }, /marked benign; set x_quell_action/],
    ['an unknown action', { x_quell_action: 'quarantine' }, /x_quell_action "quarantine" must be one of/],
    ['an unknown severity', { x_quell_severity: 'critical' }, /x_quell_severity "critical"/],
    [
      'an alerting allow',
      { x_quell_action: 'allow', x_quell_generate_alert: true },
      /allow indicator cannot raise alerts/,
    ],
    ['a bad id', { id: 'indicator--123' }, /not indicator--<UUID>/],
    ['a local timestamp', { created: '2030-01-01T00:00:00+01:00' }, /created is not a STIX timestamp/],
    ['valid_until before valid_from', { valid_until: '2029-12-31T00:00:00Z' }, /not after its valid_from/],
    ['STIX 2.0', { spec_version: '2.0' }, /spec_version is "2.0"/],
  ])('rejects an indicator with %s', (_name, patch, reason) => {
    const o = {
      type: 'indicator',
      spec_version: '2.1',
      id: id(99),
      created: '2030-01-01T00:00:00Z',
      modified: '2030-01-01T00:00:00Z',
      pattern: "[domain-name:value = 'a.example']",
      pattern_type: 'stix',
      valid_from: '2030-01-01T00:00:00Z',
      ...patch,
    };
    const got = importStixObjects([o], { now });
    expect(got.accepted).toEqual([]);
    expect(got.rejected[0]?.reason).toMatch(reason);
  });

  it('imports a value once when several objects name it', () => {
    const o = (n: number, pattern: string) => ({
      type: 'indicator',
      spec_version: '2.1',
      id: id(n),
      created: '2030-01-01T00:00:00Z',
      modified: '2030-01-01T00:00:00Z',
      pattern,
      pattern_type: 'stix',
      valid_from: '2030-01-01T00:00:00Z',
    });
    const got = importStixObjects(
      [
        o(1, "[domain-name:value = 'a.example']"),
        o(2, "[domain-name:value = 'A.example.'] OR [domain-name:value = 'b.example']"),
        o(3, "[domain-name:value = 'b.example']"),
      ],
      { now },
    );
    expect(got.accepted.map((i) => [i.value, i.externalId])).toEqual([
      ['a.example', id(1)],
      ['b.example', id(2)],
    ]);
    expect(got.rejected).toEqual([
      { index: 2, stixId: id(3), reason: 'its indicators were already imported from object 1' },
    ]);
  });

  it.each([
    ['text that is not JSON', 'type,value', /not JSON/],
    ['a lone indicator', '{"type":"indicator"}', /this is a STIX indicator/],
    ['a JSON array', '[]', /not a STIX object/],
    ['objects that are not a list', '{"type":"bundle","objects":{}}', /"objects" is not a list/],
    ['too many bytes', ' '.repeat(IMPORT_LIMITS.stixBytes + 1), /at most 33554432/],
  ])('refuses %s as a whole', (_name, input, message) => {
    expect(() => importStixBundle(input, { now })).toThrow(InputError);
    expect(() => importStixBundle(input, { now })).toThrow(message);
  });

  it('refuses more objects than the limit', () => {
    const objects = Array.from({ length: IMPORT_LIMITS.stixObjects + 1 }, () => ({ type: 'identity' }));
    expect(() => importStixBundle({ type: 'bundle', objects }, { now })).toThrow(/at most 100000/);
  });
});

describe('STIX bundle export', () => {
  const t = Date.parse('2030-03-01T10:00:00Z');
  const indicators: StixExportIndicator[] = [
    {
      type: 'sha256',
      value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      action: 'block_and_remediate',
      title: 'Dropper',
      description: 'From the lab',
      severity: 'high',
      generateAlert: true,
      expiresAt: '2031-01-01T00:00:00.000Z',
      deviceGroupIds: ['dg_1', 'dg_2'],
      source: 'manual',
      createdAt: t,
      updatedAt: t + 1000,
    },
    {
      type: 'sha1',
      value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      action: 'audit',
      title: 'Tool',
      severity: 'low',
      generateAlert: false,
      expiresAt: null,
      deviceGroupIds: [],
      source: 'manual',
      createdAt: t,
      updatedAt: t,
    },
    {
      type: 'md5',
      value: 'd41d8cd98f00b204e9800998ecf8427e',
      action: 'block',
      title: 'Old',
      severity: 'medium',
      generateAlert: true,
      expiresAt: null,
      deviceGroupIds: [],
      source: 'manual',
      createdAt: t,
      updatedAt: t,
    },
    {
      type: 'ipv4',
      value: '198.51.100.0/24',
      action: 'block',
      title: 'C2',
      severity: 'high',
      generateAlert: true,
      expiresAt: null,
      deviceGroupIds: [],
      source: 'manual',
      createdAt: t,
      updatedAt: t,
    },
    {
      type: 'ipv6',
      value: '2001:db8::1',
      action: 'allow',
      title: 'Partner',
      severity: 'informational',
      generateAlert: false,
      expiresAt: null,
      deviceGroupIds: ['dg_1'],
      source: 'manual',
      createdAt: t,
      updatedAt: t,
    },
    {
      type: 'domain',
      value: 'xn--bcher-kva.example',
      action: 'block',
      title: 'Phish',
      severity: 'medium',
      generateAlert: true,
      expiresAt: null,
      deviceGroupIds: [],
      source: 'manual',
      createdAt: t,
      updatedAt: t,
    },
    {
      type: 'url',
      value: "http://a.example/it's?q=1",
      action: 'block',
      title: 'Quote in URL',
      severity: 'medium',
      generateAlert: true,
      expiresAt: null,
      deviceGroupIds: [],
      source: 'manual',
      externalId: id(7),
      createdAt: t,
      updatedAt: t,
    },
  ];

  it('writes a STIX 2.1 bundle with stable ids, patterns and x_quell_* properties', () => {
    const b = exportStixBundle(indicators, { bundleId: 'bundle--00000000-0000-4000-8000-000000000009' });
    expect(b).toMatchObject({ type: 'bundle', id: 'bundle--00000000-0000-4000-8000-000000000009' });
    expect(b.objects[0]).toEqual({
      type: 'indicator',
      spec_version: '2.1',
      id: expect.stringMatching(
        /^indicator--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      created: '2030-03-01T10:00:00.000Z',
      modified: '2030-03-01T10:00:01.000Z',
      name: 'Dropper',
      description: 'From the lab',
      indicator_types: ['malicious-activity'],
      pattern: "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: '2030-03-01T10:00:00.000Z',
      valid_until: '2031-01-01T00:00:00.000Z',
      x_quell_action: 'block_and_remediate',
      x_quell_severity: 'high',
      x_quell_generate_alert: true,
      x_quell_device_groups: ['dg_1', 'dg_2'],
    });
    expect(b.objects[6]?.id).toBe(id(7));
    expect(b.objects[6]?.pattern).toBe("[url:value = 'http://a.example/it\\'s?q=1']");
    expect(stixPattern('url', 'http://a.example/\\x')).toBe("[url:value = 'http://a.example/\\\\x']");
    // Same indicator, same id, in every export; a fresh bundle id each time by default.
    const again = exportStixBundle(indicators);
    expect(again.objects.map((o) => o.id)).toEqual(b.objects.map((o) => o.id));
    expect(again.id).toMatch(/^bundle--[0-9a-f-]{36}$/);
    expect(new Set(b.objects.map((o) => o.id)).size).toBe(indicators.length);
  });

  it('writes device groups through a label function', () => {
    const b = exportStixBundle(indicators.slice(0, 1), { deviceGroupLabel: (g) => `name-of-${g}` });
    expect(b.objects[0]?.x_quell_device_groups).toEqual(['name-of-dg_1', 'name-of-dg_2']);
  });

  it('reads back as the same indicators', () => {
    const text = JSON.stringify(exportStixBundle(indicators));
    const back = importStixBundle(text, { now, source: 'manual' });
    expect(back.rejected).toEqual([]);
    const strip = ({ createdAt: _c, updatedAt: _u, externalId: _e, ...rest }: StixExportIndicator) => rest;
    expect(back.accepted.map(({ externalId: _e, ...rest }) => rest)).toEqual(indicators.map(strip));
  });
});
