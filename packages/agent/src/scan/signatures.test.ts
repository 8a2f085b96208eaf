import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EICAR_TEXT, isEicar, signatureIndex } from './signatures.js';

const file = (s: string) => Buffer.from(s, 'latin1');

describe('the EICAR test file', () => {
  it('is the published 68-byte string', () => {
    expect(EICAR_TEXT).toHaveLength(68);
    expect(createHash('sha256').update(EICAR_TEXT).digest('hex')).toBe(
      '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
    );
  });

  it.each([
    ['exact', EICAR_TEXT],
    ['with LF', EICAR_TEXT + '\n'],
    ['with CRLF', EICAR_TEXT + '\r\n'],
    ['with spaces, tabs and ^Z up to 128 bytes', EICAR_TEXT + ' \t\x1a'.repeat(20)],
  ])('is recognised %s', (_, text) => {
    const buf = file(text);
    expect(isEicar(buf, buf.length)).toBe(true);
  });

  it.each([
    ['followed by other bytes', EICAR_TEXT + 'x'],
    ['after a prefix', ' ' + EICAR_TEXT],
    ['past 128 bytes', EICAR_TEXT + ' '.repeat(61)],
    ['truncated', EICAR_TEXT.slice(0, 67)],
  ])('is not recognised %s', (_, text) => {
    const buf = file(text);
    expect(isEicar(buf, buf.length)).toBe(false);
  });

  it('is not recognised from a head shorter than the file', () => {
    expect(isEicar(file(EICAR_TEXT), 100)).toBe(false);
  });
});

describe('signatureIndex', () => {
  it('matches any case and lets later lists win', () => {
    const sha = 'AB'.repeat(32);
    const idx = signatureIndex(
      [{ sha256: sha, name: 'builtin', severity: 'low' }],
      [{ sha256: sha.toLowerCase(), name: 'indicator', severity: 'high' }],
    );
    expect(idx.get('ab'.repeat(32))?.name).toBe('indicator');
  });
});
