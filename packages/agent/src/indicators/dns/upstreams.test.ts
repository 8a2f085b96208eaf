import { describe, expect, it } from 'vitest';
import { parseResolvConf } from './upstreams.js';

describe('parseResolvConf', () => {
  it('lists nameservers, skipping loopback stubs, zone ids, duplicates and junk', () => {
    const text = [
      '# generated',
      'nameserver 127.0.0.53',
      'nameserver 192.0.2.53',
      'nameserver fe80::1%eth0',
      'nameserver 2001:DB8::53',
      'nameserver ::1',
      'nameserver 192.0.2.53',
      'nameserver not-an-ip',
      'search example.com',
    ].join('\n');
    expect(parseResolvConf(text)).toEqual([
      { address: '192.0.2.53', port: 53 },
      { address: 'fe80::1', port: 53 },
      { address: '2001:db8::53', port: 53 },
    ]);
  });
});
