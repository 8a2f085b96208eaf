import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDpkgIndex, type PackageIndex } from './dpkg-index.js';
import { digestFile, type FileDigests } from './file-digest.js';
import { identityKey, type FileIdentity } from './helper-protocol.js';

/**
 * Why a file may or may not run: `package`, `allow_list`, `untrusted` decide while restricted;
 * `blocked_indicator` (a block indicator wins for one of its hashes) in every mode;
 * `not_blocked` in blocklist mode; `too_large` and `unreadable` deny while restricted and
 * allow in blocklist mode (it fails open, like the helper).
 */
export const TRUST_REASONS = [
  'package',
  'allow_list',
  'untrusted',
  'blocked_indicator',
  'not_blocked',
  'too_large',
  'unreadable',
] as const;
export type TrustReason = (typeof TRUST_REASONS)[number];

export interface TrustDecision {
  allow: boolean;
  reason: TrustReason;
  /** SHA-256 of the content (null when it was not hashed). */
  sha256: string | null;
  /** What went wrong, for `unreadable`. */
  error?: string;
  /** The winning block indicator, for `blocked_indicator`. */
  indicatorId?: string;
}

/** A file someone is about to execute. */
export interface ExecSubject {
  /** Path as the OS package database would name it (the exec control strips its `fsRoot`); null outside it. */
  packagePath: string | null;
  /** Where to read the exact content being executed (the helper's open fd under /proc). */
  contentPath: string;
  file: FileIdentity;
}

/** Decides which executables are trusted. Pluggable so the server's indicators can join later. */
export interface TrustPolicy {
  /** Called by `enable()`: loads what decisions need and replaces the allow list. */
  prepare(opts: { allowSha256: readonly string[] }): Promise<void>;
  /** The restricted-mode decision (package ownership, allow list). */
  decide(subject: ExecSubject): Promise<TrustDecision>;
  /**
   * The file's digests, cached by file version; null when it is larger than the hashing limit.
   * Needs no `prepare` (blocklist mode runs without the package index).
   */
  digest(subject: ExecSubject): Promise<FileDigests | null>;
}

export interface PackageTrustPolicyOptions {
  /** dpkg's database directory. Default `/var/lib/dpkg`. */
  dpkgDir?: string;
  /**
   * Larger files are denied without hashing. Default 512 MiB. Why: the helper allows an exec
   * the agent has not answered within its deadline (3 s), so a file too big to hash in time
   * would otherwise run unchecked.
   */
  maxHashBytes?: number;
  /** Digests kept for file versions seen before (by dev, inode, size, mtime, ctime). Default 4096. */
  cacheEntries?: number;
  /** How often (ms) a miss may re-check whether dpkg changed, to pick up upgrades. Default 2000. */
  refreshIntervalMs?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Trusted = owned by a dpkg package with the checksum dpkg recorded, or SHA-256 in the allow list.
 * The package index is built once and rebuilt only when dpkg's info directory changes.
 */
export class PackageTrustPolicy implements TrustPolicy {
  private readonly dpkgDir: string;
  private readonly maxHashBytes: bigint;
  private readonly cacheEntries: number;
  private readonly refreshIntervalMs: number;
  private index: PackageIndex | null = null;
  private indexStamp = -1;
  private lastRefreshCheck = 0;
  private allow = new Set<string>();
  /** Insertion-ordered, so the first key is the least recently used. */
  private readonly digests = new Map<string, FileDigests>();
  private readonly inflight = new Map<string, Promise<FileDigests>>();

  constructor(opts: PackageTrustPolicyOptions = {}) {
    this.dpkgDir = opts.dpkgDir ?? '/var/lib/dpkg';
    this.maxHashBytes = BigInt(opts.maxHashBytes ?? 512 * 1024 * 1024);
    this.cacheEntries = opts.cacheEntries ?? 4096;
    this.refreshIntervalMs = opts.refreshIntervalMs ?? 2000;
  }

  async prepare(opts: { allowSha256: readonly string[] }): Promise<void> {
    this.allow = new Set(opts.allowSha256.map((h) => h.toLowerCase()).filter((h) => HEX64.test(h)));
    await this.refreshIndex(true);
  }

  /** Paths indexed from the package database (0 before `prepare`). */
  get indexedPaths(): number {
    return this.index?.size ?? 0;
  }

  async decide(s: ExecSubject): Promise<TrustDecision> {
    let d: FileDigests | null;
    try {
      d = await this.digest(s);
    } catch (e) {
      return {
        allow: false,
        reason: 'unreadable',
        sha256: null,
        error: e instanceof Error ? e.message : String(e),
      };
    }
    if (!d) return { allow: false, reason: 'too_large', sha256: null };
    if (this.ownedByPackage(s.packagePath, d.md5))
      return { allow: true, reason: 'package', sha256: d.sha256 };
    if (this.allow.has(d.sha256)) return { allow: true, reason: 'allow_list', sha256: d.sha256 };
    // A miss right after `apt upgrade` means a stale index, not an untrusted file.
    if (await this.refreshIndex(false).catch(() => false)) return this.decide(s);
    return { allow: false, reason: 'untrusted', sha256: d.sha256 };
  }

  private ownedByPackage(path: string | null, md5: string): boolean {
    return path !== null && !!this.index?.expectedMd5(path).includes(md5);
  }

  async digest(s: ExecSubject): Promise<FileDigests | null> {
    if (s.file.size > this.maxHashBytes) return null;
    const key = identityKey(s.file);
    const hit = this.digests.get(key);
    if (hit) {
      this.digests.delete(key);
      this.digests.set(key, hit);
      return hit;
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = digestFile(s.contentPath, s.file).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const d = await p;
    this.digests.set(key, d);
    while (this.digests.size > this.cacheEntries) this.digests.delete(this.digests.keys().next().value!);
    return d;
  }

  /** Rebuilds the index when dpkg's info directory changed; true when it did. */
  private async refreshIndex(force: boolean): Promise<boolean> {
    const now = Date.now();
    if (!force && now - this.lastRefreshCheck < this.refreshIntervalMs) return false;
    this.lastRefreshCheck = now;
    const infoDir = join(this.dpkgDir, 'info');
    const stamp = (await stat(infoDir)).mtimeMs;
    if (this.index && stamp === this.indexStamp) return false;
    this.index = await loadDpkgIndex(this.dpkgDir);
    this.indexStamp = stamp;
    return true;
  }
}
