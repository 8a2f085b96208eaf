import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** uid → user name from `<fsRoot>/etc/passwd`; empty when unreadable (names are a convenience). */
export async function readUserNames(fsRoot: string): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  let text: string;
  try {
    text = await readFile(path.join(fsRoot, 'etc/passwd'), 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid) && !names.has(Number(uid))) names.set(Number(uid), name);
  }
  return names;
}
