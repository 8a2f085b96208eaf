import { describe, expect, it } from 'vitest';
import {
  arrayItems,
  cString,
  fdToken,
  intToken,
  parseResult,
  splitCall,
  structField,
} from './strace-values.js';
import { sockaddr } from './strace-sockaddr.js';

describe('strace value reading', () => {
  it('splits a call into arguments and result, ignoring commas and parentheses inside strings', () => {
    expect(splitCall('openat(AT_FDCWD</tmp/a, b>, "x(1), y", O_RDONLY) = 3</tmp/a, b/x(1), y>')).toEqual({
      name: 'openat',
      args: ['AT_FDCWD</tmp/a, b>', '"x(1), y"', 'O_RDONLY'],
      result: '3</tmp/a, b/x(1), y>',
    });
  });

  it('keeps nested structures as one argument', () => {
    const call = splitCall(
      'connect(3<TCP:[81606]>, {sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("203.0.113.7")}, 16) = -1 ENETUNREACH (Network is unreachable)',
    );
    expect(call?.args).toHaveLength(3);
    expect(sockaddr(call?.args[1])).toEqual({ family: 'ipv4', address: '203.0.113.7', port: 4444 });
    expect(parseResult(call?.result as string)).toEqual({
      value: -1,
      errno: 'ENETUNREACH',
      note: null,
      tracerPid: null,
    });
  });

  it('reads a call cut off before its result', () => {
    expect(splitCall('clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=302, tv_nsec=0}, ')).toEqual({
      name: 'clock_nanosleep',
      args: ['CLOCK_REALTIME', '0', '{tv_sec=302, tv_nsec=0}'],
      result: null,
    });
  });

  it.each([
    ['"a\\x00\\xffb"', [0x61, 0, 0xff, 0x62], false],
    ['"tab\\there\\n"', [...Buffer.from('tab\there\n')], false],
    ['"q\\"uote\\\\"', [...Buffer.from('q"uote\\')], false],
    ['"\\0\\177"', [0, 0x7f], false],
    ['"abc"...', [0x61, 0x62, 0x63], true],
  ])('decodes the C string %s', (token, bytes, truncated) => {
    expect(cString(token)).toEqual({ bytes: Buffer.from(bytes), truncated });
  });

  it.each([
    ['3</tmp/x>', { fd: 3, note: '/tmp/x' }],
    ['AT_FDCWD</root>', { fd: null, note: '/root' }],
    ['2</dev/null<char 1:3>>', { fd: 2, note: '/dev/null<char 1:3>' }],
    ['3<UDP:[10.0.0.2:5353->10.0.0.1:53]>', { fd: 3, note: 'UDP:[10.0.0.2:5353->10.0.0.1:53]' }],
    ['4</tmp/caf\\xc3\\xa9>', { fd: 4, note: '/tmp/café' }],
    ['-1', { fd: -1, note: null }],
  ])('reads the descriptor %s', (token, expected) => {
    expect(fdToken(token)).toEqual(expected);
  });

  it('reads the tracer pid strace adds with --pidns-translation', () => {
    expect(parseResult("7 /* 13286 in strace's PID NS */")).toMatchObject({ value: 7, tracerPid: 13286 });
    expect(parseResult('? ERESTART_RESTARTBLOCK (Interrupted by signal)')).toMatchObject({
      value: null,
      errno: 'ERESTART_RESTARTBLOCK',
    });
  });

  it('reads arrays, struct fields and integers', () => {
    expect(arrayItems('["rm", "-f", "/sample/a, b"]')).toEqual(['"rm"', '"-f"', '"/sample/a, b"']);
    expect(structField('{tv_sec=45, tv_nsec=0}', 'tv_sec')).toBe('45');
    expect(intToken('04755')).toBe(0o4755);
    expect(intToken('0x1f')).toBe(31);
    expect(intToken('O_RDONLY')).toBeNull();
  });

  it('reads IPv6 socket addresses', () => {
    expect(
      sockaddr(
        '{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::7", &sin6_addr), sin6_scope_id=0}',
      ),
    ).toEqual({ family: 'ipv6', address: '2001:db8::7', port: 443 });
  });
});
