import { describe, expect, it } from 'vitest';
import { InputError, type IndicatorInput } from '@quell/core';
import { exportIndicatorCsv } from './csv-export.js';
import { importIndicatorCsv } from './csv-import.js';
import { IMPORT_LIMITS } from './indicator-import.js';

const now = Date.parse('2030-06-01T00:00:00Z');
const SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const header = 'type,value,action,title,description,severity,generateAlert,expiresAt,deviceGroups';

describe('CSV indicator import', () => {
  it('accepts good rows, rejects bad ones with line and reason, and fills defaults', () => {
    const csv = [
      header,
      `sha256,${SHA.toUpperCase()},block_and_remediate,Dropper,"Seen in ""spring"", twice",high,yes,2031-01-01T00:00:00Z,fin;hr`,
      'ipv4,198.51.100.0/24,,,,,,,',
      'domain,Bücher.Example.,allow,Partner,,low,,,',
      'md5,abc,block,Bad hash,,medium,true,,',
      '',
      'url,http://a.example/x,block,"Multi',
      'line title",,medium,true,,',
      'ipv4,10.1.2.3/8,block,Typo,,medium,true,,',
      'domain,evil.example,block,Past,,medium,true,2020-01-01T00:00:00Z,',
      'sha256,' + SHA + ',block,Again,,medium,true,,hr;fin',
      'ip,192.0.2.1,block,Old type,,medium,true,,',
      'domain,x.example,maybe,Bad alert,,medium,sometimes,,',
      'domain,y.example,block,Too many,,medium,true,,,extra',
    ].join('\r\n');
    const r = importIndicatorCsv(csv, { now, defaultAction: 'audit', defaultSeverity: 'low' });
    expect(r.accepted).toEqual<IndicatorInput[]>([
      {
        type: 'sha256',
        value: SHA,
        action: 'block_and_remediate',
        title: 'Dropper',
        description: 'Seen in "spring", twice',
        severity: 'high',
        generateAlert: true,
        expiresAt: '2031-01-01T00:00:00.000Z',
        deviceGroupIds: ['fin', 'hr'],
        source: 'import_csv',
      },
      {
        type: 'ipv4',
        value: '198.51.100.0/24',
        action: 'audit',
        title: '198.51.100.0/24',
        severity: 'low',
        generateAlert: true,
        expiresAt: null,
        deviceGroupIds: [],
        source: 'import_csv',
      },
      {
        type: 'domain',
        value: 'xn--bcher-kva.example',
        action: 'allow',
        title: 'Partner',
        severity: 'low',
        generateAlert: false,
        expiresAt: null,
        deviceGroupIds: [],
        source: 'import_csv',
      },
    ]);
    expect(r.rejected).toEqual([
      {
        row: 5,
        value: 'abc',
        reason: expect.stringMatching(/"abc" is not a valid md5 indicator: it has 3 hex digits/),
      },
      { row: 7, value: 'http://a.example/x', reason: 'title must be one line of text' },
      { row: 9, value: '10.1.2.3/8', reason: expect.stringMatching(/host bits are set after \/8/) },
      { row: 10, value: 'evil.example', reason: 'expiresAt 2020-01-01T00:00:00Z is already past' },
      { row: 11, value: SHA, reason: 'it repeats the indicator on line 2' },
      { row: 12, value: '192.0.2.1', reason: expect.stringMatching(/^type must be one of sha256/) },
      { row: 13, value: 'x.example', reason: 'generateAlert "sometimes" must be true or false' },
      { row: 14, value: 'y.example', reason: 'the row has 10 fields; the header has 9' },
    ]);
  });

  it('takes columns in any order and case, with only type and value required', () => {
    const r = importIndicatorCsv(`Value,TYPE\n192.0.2.1,ipv4\n`, { now });
    expect(r.accepted).toMatchObject([
      { type: 'ipv4', value: '192.0.2.1', action: 'block', severity: 'medium' },
    ]);
  });

  it('resolves device group names and rejects unknown ones', () => {
    const groups = new Map([['Finance', 'dg_1']]);
    const csv = `type,value,deviceGroups\nipv4,192.0.2.1,Finance\nipv4,192.0.2.2,Finance;Ops\n`;
    const r = importIndicatorCsv(csv, { now, resolveDeviceGroup: (g) => groups.get(g) ?? null });
    expect(r.accepted.map((i) => i.deviceGroupIds)).toEqual([['dg_1']]);
    expect(r.rejected).toEqual([{ row: 3, value: '192.0.2.2', reason: 'there is no device group "Ops"' }]);
  });

  it.each([
    ['no header', `sha256,${SHA}\n`, /first line must be a header/],
    [
      'an unknown column',
      'type,value,comment\n',
      /Unknown column "comment" in the header. The columns are: type,value,action/,
    ],
    ['a repeated column', 'type,value,Type\n', /"type" appears twice/],
    ['no value column', 'type,title\n', /lacks the required column\(s\) value/],
    ['semicolons', 'type;value\nipv4;192.0.2.1\n', /separated by commas; this file uses semicolons/],
    ['broken quoting', 'type,value\nipv4,"192.0.2.1\n', /not valid CSV: Quote Not Closed/],
    ['an empty file', '', /empty/],
    ['binary content', new Uint8Array([0x74, 0x00, 0x01]), /binary/],
    ['bytes that are not UTF-8', new Uint8Array([0x74, 0xff, 0xfe]), /not UTF-8/],
    ['too many bytes', 'type,value\n' + 'x'.repeat(IMPORT_LIMITS.csvBytes), /at most 10485760/],
  ])('refuses a whole file with %s', (_name, input, message) => {
    expect(() => importIndicatorCsv(input, { now })).toThrow(InputError);
    expect(() => importIndicatorCsv(input, { now })).toThrow(message);
  });

  it('refuses more rows than the limit', () => {
    const csv = `type,value\n${'ipv4,192.0.2.1\n'.repeat(IMPORT_LIMITS.csvRows + 1)}`;
    expect(() => importIndicatorCsv(csv, { now })).toThrow(/at most 100000/);
  });
});

describe('CSV indicator export', () => {
  const indicators: IndicatorInput[] = [
    {
      type: 'url',
      value: 'http://a.example/p?q=1,2',
      action: 'block',
      title: '=HYPERLINK("http://x")',
      description: 'line one\nline "two"',
      severity: 'high',
      generateAlert: true,
      expiresAt: '2031-01-01T00:00:00.000Z',
      deviceGroupIds: ['dg_1', 'dg_2'],
      source: 'manual',
    },
    {
      type: 'ipv6',
      value: '2001:db8::/32',
      action: 'allow',
      title: '-1 false positive',
      severity: 'informational',
      generateAlert: false,
      expiresAt: null,
      deviceGroupIds: [],
      source: 'manual',
    },
  ];

  it('defuses formulas and reads back as the same indicators', () => {
    const csv = exportIndicatorCsv(indicators);
    expect(csv.split('\n')[0]).toBe(header);
    expect(csv).toContain(`'=HYPERLINK`);
    const back = importIndicatorCsv(csv, { now, source: 'manual' });
    expect(back.rejected).toEqual([]);
    expect(back.accepted).toEqual(indicators);
  });

  it('writes device groups through a label function', () => {
    const csv = exportIndicatorCsv(indicators.slice(0, 1), { deviceGroupLabel: (id) => id.toUpperCase() });
    expect(csv).toContain('DG_1;DG_2');
  });
});
