import { readFile } from 'node:fs/promises';
import type { FsRoot } from '../quarantine/fs-root.js';

/** Parses passwd(5) text into uid → name; malformed lines are skipped. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (!name || uid === undefined || !/^\d+$/.test(uid)) continue;
    if (!out.has(Number(uid))) out.set(Number(uid), name.slice(0, 256));
  }
  return out;
}

/** Local users by uid, from `/etc/passwd` under the root (directory users show as `uid:<n>`). */
export async function userNames(root: FsRoot): Promise<Map<number, string>> {
  return parsePasswd(await readFile(root.toHost('/etc/passwd'), 'utf8').catch(() => ''));
}
