import { describe, expect, it } from 'vitest';
import { nsText, parseXattrDump, xattrDump } from './attr.file-attributes.js';
import { parseStat } from './proc.process-table.js';

describe('xattr dumps', () => {
  it('reads getfattr -e hex output, octal-escaped names and empty values included', () => {
    const dump =
      '# file: /tmp/a b\\012c\nuser.origin=0x64726f70706572\nuser.empty=0x\nuser.odd\\075name=0x01\n\n';
    expect(parseXattrDump(dump)).toEqual([
      { name: 'user.origin', valueHex: '64726f70706572' },
      { name: 'user.empty', valueHex: '' },
      { name: 'user.odd=name', valueHex: '01' },
    ]);
  });

  it('writes a restore file that names the target path with every odd byte escaped', () => {
    expect(xattrDump('/tmp/a b\nc', [{ name: 'user.x', valueHex: 'ff' }])).toBe(
      '# file: /tmp/a\\040b\\012c\nuser.x=0xff\n\n',
    );
  });
});

describe('nsText', () => {
  it.each([
    [1600000001987654321n, '1600000001.987654321'],
    [5n, '0.000000005'],
    [-1500000000n, '-1.500000000'],
  ])('%s ns is @%s for touch', (ns, text) => {
    expect(nsText(ns)).toBe(text);
  });
});

describe('parseStat', () => {
  it('finds state and start time after a command name with spaces and parens', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'T';
    fields[19] = '123456';
    expect(parseStat(`42 (evil (x) y) ${fields.join(' ')}`)).toEqual({ state: 'T', startTime: '123456' });
  });
});
