import type { NetLab } from './netns.js';

/** What a lookup from a lab node came back with: addresses, or the resolver's error code. */
export type LookupResult = { addresses: string[] } | { error: string };

/**
 * Resolves A records from inside a node the way an application does: Node's c-ares resolver
 * pointed at `server` (as resolv.conf would point it), over UDP. NXDOMAIN comes back as
 * `ENOTFOUND`, SERVFAIL as `ESERVFAIL`.
 */
const RESOLVE = `const [server, name] = process.argv.slice(1);
const r = new (require('dns').promises.Resolver)({ timeout: 1500, tries: 1 });
r.setServers([server]);
r.resolve4(name).then((a) => console.log(JSON.stringify({ addresses: a })), (e) => console.log(JSON.stringify({ error: e.code })));`;

/** One query over TCP, built by hand (c-ares cannot be told to use TCP): prints the rcode and answer count. */
const TCP_QUERY = `const [server, name] = process.argv.slice(1);
const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
const q = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
const len = Buffer.alloc(2); len.writeUInt16BE(q.length);
const s = require('net').connect({ host: server, port: 53 }, () => s.write(Buffer.concat([len, q])));
let buf = Buffer.alloc(0);
setTimeout(() => { console.log(JSON.stringify({ error: 'timeout' })); process.exit(0); }, 3000);
s.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
  const m = buf.subarray(2); console.log(JSON.stringify({ id: m.readUInt16BE(0), rcode: m[3] & 15, answers: m.readUInt16BE(6) })); process.exit(0); } });
s.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(0); });`;

export async function resolveFrom(
  lab: NetLab,
  node: string,
  server: string,
  name: string,
): Promise<LookupResult> {
  const r = await lab.execOk(node, process.execPath, ['-e', RESOLVE, server, name]);
  return JSON.parse(r) as LookupResult;
}

export async function tcpQueryFrom(
  lab: NetLab,
  node: string,
  server: string,
  name: string,
): Promise<{ id: number; rcode: number; answers: number } | { error: string }> {
  const r = await lab.execOk(node, process.execPath, ['-e', TCP_QUERY, server, name]);
  return JSON.parse(r) as { id: number; rcode: number; answers: number } | { error: string };
}
