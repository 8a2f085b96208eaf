import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ManagementEndpoint } from '../ports.js';
import { readJsonFile, writeFileAtomic } from '../state/atomic-file.js';
import type { Logger } from '../log.js';

/**
 * The endpoints isolation always leaves open: the config's `management` list when set,
 * otherwise every address `serverUrl`'s host resolves to, on its port. The last good
 * resolution is cached in the state directory, so isolation can still be computed when DNS
 * is down (or blocked by isolation itself).
 */
export async function resolveManagement(
  serverUrl: string,
  override: readonly ManagementEndpoint[] | null,
  stateDir: string,
  log: Logger,
): Promise<ManagementEndpoint[]> {
  if (override) return [...override];
  const url = new URL(serverUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  if (isIP(host)) return [{ address: host, port }];
  const cache = join(stateDir, 'management.json');
  try {
    const found = await lookup(host, { all: true });
    const list = found.map((a) => ({ address: a.address, port }));
    if (list.length) {
      await writeFileAtomic(cache, JSON.stringify(list));
      return list;
    }
  } catch (e) {
    log.warn('cannot resolve the server name; using the cached addresses', {
      host,
      error: (e as Error).message,
    });
  }
  const cached = (await readJsonFile(cache).catch(() => null)) as ManagementEndpoint[] | null;
  if (cached?.length) return cached;
  throw new Error(
    `cannot resolve ${host} and no cached address: set "management" in the config to isolate safely`,
  );
}
