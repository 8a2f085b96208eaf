import { describe, expect, it } from 'vitest';
import { formatAnswer, identityKey, parseRequest } from './helper-protocol.js';

describe('helper protocol', () => {
  it('parses a request with the file identity and an escaped path', () => {
    const r = parseRequest(
      '7\t4242\t5\t38\t2\t35664\t1700000000000000001\t1700000000000000002\t/tmp/a\\tb\\nc\\\\d',
    );
    expect(r).toEqual({
      id: '7',
      pid: 4242,
      fd: 5,
      file: { dev: 38n, ino: 2n, size: 35664n, mtimeNs: 1700000000000000001n, ctimeNs: 1700000000000000002n },
      path: '/tmp/a\tb\nc\\d',
    });
    expect(identityKey(r!.file)).toBe('38:2:35664:1700000000000000001:1700000000000000002');
  });

  it.each([
    ['ready'],
    ['1\t2\t3'],
    ['x\t1\t2\t3\t4\t5\t6\t7\t/p'],
    ['1\t1\t2\t3\t4\t5\t6\t7\trelative/path'],
  ])('rejects %j', (line) => {
    expect(parseRequest(line)).toBeNull();
  });

  it('formats answers the helper understands', () => {
    expect(formatAnswer('12', 'deny')).toBe('12\tdeny\n');
    expect(formatAnswer('3', 'allow')).toBe('3\tallow\n');
  });
});
