import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';

/** What `quell login` remembers: the server and a bearer token for it. */
export interface StoredLogin {
  url: string;
  token: string;
  /** Who logged in, shown by `quell logout`; informational only. */
  email?: string;
}

/**
 * Where the login lives: `$QUELL_CONFIG`, else `$XDG_CONFIG_HOME/quell/cli.json`, else
 * `~/.config/quell/cli.json`.
 */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.QUELL_CONFIG) return env.QUELL_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'quell', 'cli.json');
}

/** The stored login, or null when there is none. A file that is not ours is an error, not "logged out". */
export async function readLogin(path = configPath()): Promise<StoredLogin | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, 'QUELL_E_CONFIG');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliError(
      `${path} is not valid JSON; delete it and run \`quell login\` again`,
      'QUELL_E_CONFIG',
    );
  }
  const d = data as Partial<StoredLogin> | null;
  if (!d || typeof d.url !== 'string' || typeof d.token !== 'string') {
    throw new CliError(
      `${path} lacks "url" and "token"; delete it and run \`quell login\` again`,
      'QUELL_E_CONFIG',
    );
  }
  return { url: d.url, token: d.token, ...(typeof d.email === 'string' && { email: d.email }) };
}

/** Writes the login readable by its owner only: the token is as good as a password. */
export async function writeLogin(login: StoredLogin, path = configPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created; an older file may have looser bits.
  await chmod(path, 0o600);
}

/** Removes the stored login; true when there was one. */
export async function removeLogin(path = configPath()): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
