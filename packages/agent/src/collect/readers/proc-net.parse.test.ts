import { describe, expect, it } from 'vitest';
import { decodeAddress, parseSocketTable } from './proc-net.parse.js';

// Lines as Linux 6.x prints them (little-endian host).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0000000000000000 100 0 0 10 0
   1: 0F02000A:0016 0202000A:C35A 01 00000000:00000000 02:000A7D8C 00000000     0        0 23456 4 0000000000000000 20 4 29 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 345 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 456 1 0000000000000000 20 4 30 10 -1
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  300: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 789 2 0000000000000000 0
`;

describe('/proc/net socket tables', () => {
  it.each([
    ['0100007F', '127.0.0.1'],
    ['0F02000A', '10.0.2.15'],
    ['00000000000000000000000001000000', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['0000000000000000FFFF00000100007F', '::ffff:127.0.0.1'],
    ['B80D0120000000000000000001000000', '2001:db8::1'],
  ])('decodes %s as %s', (hex, address) => {
    expect(decodeAddress(hex)).toBe(address);
  });

  it('reads a TCP listener and an established connection with uid and inode', () => {
    expect(parseSocketTable('tcp', TCP)).toEqual([
      expect.objectContaining({
        localAddress: '127.0.0.1',
        localPort: 8080,
        state: 'LISTEN',
        uid: 1000,
        inode: 12345,
      }),
      expect.objectContaining({
        localAddress: '10.0.2.15',
        localPort: 22,
        remoteAddress: '10.0.2.2',
        remotePort: 50010,
        state: 'ESTABLISHED',
        inode: 23456,
      }),
    ]);
  });

  it('reads IPv6 listeners and IPv4-mapped peers', () => {
    const rows = parseSocketTable('tcp6', TCP6);
    expect(rows.map((r) => [r.localAddress, r.localPort, r.state])).toEqual([
      ['::1', 631, 'LISTEN'],
      ['::ffff:127.0.0.1', 8080, 'ESTABLISHED'],
    ]);
  });

  it('names unconnected UDP sockets UNCONN and skips the header', () => {
    expect(parseSocketTable('udp', UDP)).toEqual([
      expect.objectContaining({
        proto: 'udp',
        localAddress: '0.0.0.0',
        localPort: 68,
        state: 'UNCONN',
        inode: 789,
      }),
    ]);
  });
});
