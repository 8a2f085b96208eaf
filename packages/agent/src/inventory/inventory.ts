import { access, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { arch, hostname, networkInterfaces, release } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Inventory } from '@quell/contracts/agent';

/** Optional pieces the agent reports as capabilities. */
export const AGENT_CAPABILITIES = ['nft', 'yara', 'clamd', 'exec_helper'] as const;
export type AgentCapability = (typeof AGENT_CAPABILITIES)[number];

export interface InventoryOptions {
  /** Root for `/etc/os-release` and `/etc/machine-id` (tests use a temp tree). */
  fsRoot: string;
  helperPath: string;
  clamdSocket: string;
  yaraPath: string;
}

/** What the agent tells the server about this device, at enroll and in every hello. */
export async function collectInventory(opts: InventoryOptions): Promise<Inventory> {
  const osRelease = parseOsRelease(await readText(join(opts.fsRoot, 'etc/os-release')));
  const machineId = (await readText(join(opts.fsRoot, 'etc/machine-id'))).trim();
  return {
    hostname: hostname().slice(0, 255) || 'unknown',
    os: (osRelease.NAME ?? 'Linux').slice(0, 200),
    osVersion: (osRelease.VERSION_ID ?? osRelease.VERSION ?? '').slice(0, 200),
    kernel: release().slice(0, 200),
    arch: arch(),
    addresses: addresses().slice(0, 256),
    agentVersion: await agentVersion(),
    ...(machineId ? { machineId: machineId.slice(0, 100) } : {}),
    capabilities: await capabilities(opts),
  };
}

async function capabilities(opts: InventoryOptions): Promise<AgentCapability[]> {
  const has: Record<AgentCapability, () => Promise<boolean>> = {
    nft: () => onPath('nft'),
    yara: () => (opts.yaraPath.includes('/') ? isExecutable(opts.yaraPath) : onPath(opts.yaraPath)),
    clamd: () => exists(opts.clamdSocket),
    exec_helper: () => isExecutable(opts.helperPath),
  };
  const out: AgentCapability[] = [];
  for (const c of AGENT_CAPABILITIES) if (await has[c]()) out.push(c);
  return out;
}

function addresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.push(a.address);
  }
  return out;
}

let version: string | null = null;
async function agentVersion(): Promise<string> {
  if (version) return version;
  try {
    // src/inventory and dist/inventory both sit two levels under the package root.
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    version = pkg.version ?? '0.0.0';
  } catch {
    version = '0.0.0';
  }
  return version;
}

/** `KEY=value` lines of os-release(5), quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = (m[2] ?? '').replace(/^["']|["']$/g, '');
  }
  return out;
}

async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function onPath(cmd: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const d of [...dirs, '/usr/sbin', '/sbin']) if (d && (await isExecutable(join(d, cmd)))) return true;
  return false;
}
