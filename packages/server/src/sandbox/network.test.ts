import { describe, expect, it } from 'vitest';
import { networkObservables } from './network.js';
import { scopeToSample } from './sample-scope.js';
import { parseStrace } from './strace-parser.js';

const observe = (...lines: string[]) =>
  networkObservables(
    scopeToSample(
      parseStrace(['30 1.0 execve("/sample/x", ["/sample/x"], 0x1 /* 1 var */) = 0', ...lines].join('\n')),
      '/sample/x',
    ),
  );
const inet = (ip: string, port: number) =>
  `{sa_family=AF_INET, sin_port=htons(${port}), sin_addr=inet_addr("${ip}")}`;

describe('network observables', () => {
  it('counts identical attempts and tells results apart', () => {
    const { network } = observe(
      `30 1.1 connect(3<TCP:[1]>, ${inet('198.51.100.1', 80)}, 16) = -1 ENETUNREACH (Network is unreachable)`,
      `30 1.2 connect(3<TCP:[2]>, ${inet('198.51.100.1', 80)}, 16) = -1 ENETUNREACH (Network is unreachable)`,
      `30 1.3 connect(4<TCP:[3]>, ${inet('127.0.0.1', 8080)}, 16) = -1 ECONNREFUSED (Connection refused)`,
      `30 1.4 connect(5<TCP:[4]>, ${inet('10.1.1.1', 22)}, 16) = -1 EINPROGRESS (Operation now in progress)`,
      `30 1.5 sendto(6<UDP:[5]>, "hi", 2, 0, ${inet('198.51.100.2', 5353)}, 16) = 2`,
      `30 1.6 connect(7<TCP:[6]>, ${inet('198.51.100.3', 443)}, 16`,
    );
    expect(network.map((a) => `${a.protocol} ${a.address}:${a.port} ${a.result} ×${a.count}`)).toEqual([
      'tcp 198.51.100.1:80 unreachable ×2',
      'tcp 127.0.0.1:8080 refused ×1',
      'tcp 10.1.1.1:22 pending ×1',
      'udp 198.51.100.2:5353 sent ×1',
      'tcp 198.51.100.3:443 pending ×1',
    ]);
  });

  it('takes the protocol from socket() when the descriptor carries no annotation', () => {
    const { network } = observe(
      '30 1.1 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 3<UDP:[77]>',
      `30 1.2 connect(3, ${inet('198.51.100.9', 9)}, 16) = 0`,
    );
    expect(network[0]).toMatchObject({ protocol: 'unknown', result: 'connected' });
  });

  it('reads DNS questions sent on a connected socket and ignores other traffic on it', () => {
    const q =
      '\\x00\\x01\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x01\\x61\\x07example\\x00\\x00\\x01\\x00\\x01';
    const { dns } = observe(
      `30 1.1 connect(3<UDP:[9]>, ${inet('127.0.0.53', 53)}, 16) = 0`,
      `30 1.2 sendto(3<UDP:[9]>, "${q}", 25, MSG_NOSIGNAL, NULL, 0) = 25`,
      `30 1.3 sendto(3<UDP:[9]>, "not dns", 7, 0, NULL, 0) = 7`,
      `30 1.4 sendto(4<UDP:[10]>, "${q}", 25, 0, NULL, 0) = 25`,
    );
    expect(dns).toEqual([{ name: 'a.example', type: 'A', server: '127.0.0.53:53', count: 1 }]);
  });
});
