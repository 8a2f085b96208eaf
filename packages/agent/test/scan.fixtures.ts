import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ClamdClient } from '../src/scan/index.js';

/** Test fixtures shared by the scan suites: files, signatures, a private clamd. */

/** Built from pieces so this file is not itself flagged; checked against the published hash. */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$' + 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
export const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';

export const YARA_MARKER = 'QUELL-YARA-TEST-MARKER-7f3a';
export const YARA_RULES = [
  {
    name: 'test-markers',
    source: `rule Quell_Test_Marker {
  meta:
    severity = "low"
  strings:
    $a = "${YARA_MARKER}"
  condition:
    $a
}
rule Quell_Test_Unrated {
  strings:
    $b = "QUELL-UNRATED-MARKER"
  condition:
    $b
}
`,
  },
];

/** Content flagged by the test's ClamAV hash database. */
export const CLAM_PAYLOAD = 'quell clamav test payload: not malware, matched by a test .hsb\n';
export const CLAM_SIGNATURE = 'Quell.Test.ClamHash';

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export async function put(root: string, rel: string, data: string | Buffer): Promise<string> {
  const path = join(root, rel);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  return path;
}

/** Deterministic filler (xorshift), so no test depends on Math.random. */
export function filler(bytes: number, seed: number): Buffer {
  const buf = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const v = x >>> 0;
    for (let k = 0; k < 4 && i + k < bytes; k++) buf[i + k] = (v >>> (8 * k)) & 0xff;
  }
  return buf;
}

/** A clamd of the test's own: temp config, socket and database; no freshclam. */
export interface TestClamd {
  socket: string;
  stop(): Promise<void>;
}

export async function startClamd(hsbLines: readonly string[]): Promise<TestClamd> {
  const dir = await mkdtemp(join(tmpdir(), 'quell-clamd-'));
  const db = join(dir, 'db');
  await mkdir(db);
  await writeFile(join(db, 'test.hsb'), hsbLines.join('\n') + '\n');
  const socket = join(dir, 'clamd.sock');
  const conf = join(dir, 'clamd.conf');
  await writeFile(
    conf,
    [
      `LocalSocket ${socket}`,
      `DatabaseDirectory ${db}`,
      `TemporaryDirectory ${dir}`,
      `LogFile ${join(dir, 'clamd.log')}`,
      'Foreground yes',
      'SelfCheck 0',
    ].join('\n') + '\n',
  );
  const child: ChildProcess = spawn('clamd', ['-c', conf], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = new ClamdClient(socket, 1_000);
  for (let i = 0; i < 300 && !(await client.ping()); i++) {
    if (child.exitCode !== null) throw new Error(`clamd exited (${child.exitCode}); see ${dir}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await client.ping())) throw new Error(`clamd did not answer within 30 s; see ${dir}`);
  return {
    socket,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `hsb` line for a content: sha256:size:name:flevel (73 = ClamAV 0.98+, needed for SHA-256). */
export const hsbLine = (content: string | Buffer, name: string): string =>
  `${sha256(content)}:${Buffer.byteLength(content)}:${name}:73`;
