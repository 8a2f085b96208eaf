import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../log.js';
import { AttrCommandFileAttributes } from './attr.file-attributes.js';
import { DEFAULT_MAX_HASH_BYTES } from './content-hash.js';
import { ProcProcessTable } from './proc.process-table.js';
import type { FileAttributes, ProcessTable, ServiceManager } from './quarantine.ports.js';
import { SystemctlServiceManager } from './systemctl.service-manager.js';

export interface FileQuarantineOptions {
  /** Agent state directory; the vault is `<stateDir>/quarantine`. */
  stateDir: string;
  /** Filesystem root the device paths live under. Default `/`. */
  fsRoot?: string;
  /** dpkg database consulted for package ownership. Default `<fsRoot>/var/lib/dpkg`. */
  dpkgDir?: string;
  /** True for hashes an allow indicator covers: those are refused. Default: none. */
  isAllowed?: (sha256: string) => boolean | Promise<boolean>;
  /** Default: the real /proc. */
  processes?: ProcessTable;
  /** Default: systemctl on the live root when systemd runs, recorded calls otherwise. */
  services?: ServiceManager;
  /** Default: getfattr / setfattr / touch. */
  attributes?: FileAttributes;
  /** ms since epoch. Default `Date.now`. */
  now?: () => number;
  /** Default `crypto.randomBytes`. */
  randomBytes?: (n: number) => Buffer;
  /** How long killed processes get to disappear. Default 5 s. */
  killTimeoutMs?: number;
  /** Larger files are never hashed (and so never quarantined). Default 512 MiB. */
  maxHashBytes?: number;
  log?: Logger;
}

/** The options with every default filled in. */
export interface QuarantineDeps {
  stateDir: string;
  fsRoot: string;
  dpkgDir: string;
  isAllowed: (sha256: string) => boolean | Promise<boolean>;
  processes: ProcessTable;
  services: ServiceManager;
  attributes: FileAttributes;
  now: () => number;
  randomBytes: (n: number) => Buffer;
  killTimeoutMs: number;
  maxHashBytes: number;
  log: Logger;
}

export function withQuarantineDefaults(o: FileQuarantineOptions): QuarantineDeps {
  const fsRoot = o.fsRoot ?? '/';
  return {
    stateDir: o.stateDir,
    fsRoot,
    dpkgDir: o.dpkgDir ?? join(fsRoot, 'var/lib/dpkg'),
    isAllowed: o.isAllowed ?? (() => false),
    processes: o.processes ?? new ProcProcessTable(),
    services: o.services ?? new SystemctlServiceManager({ fsRoot }),
    attributes: o.attributes ?? new AttrCommandFileAttributes(),
    now: o.now ?? Date.now,
    randomBytes: o.randomBytes ?? nodeRandomBytes,
    killTimeoutMs: o.killTimeoutMs ?? 5_000,
    maxHashBytes: o.maxHashBytes ?? DEFAULT_MAX_HASH_BYTES,
    log: o.log ?? silentLogger,
  };
}
