import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { readJsonFile, writeFileAtomic } from '../state/atomic-file.js';
import { digestHandle, type Digest } from './content-hash.js';
import { manifestProblem, type Manifest } from './manifest.js';
import { QuarantineVaultError } from './quarantine.errors.js';

export const CONTENT_FILE = 'content.bin';
const MANIFEST_FILE = 'manifest.json';
const ENTRY_ID = /^[0-9a-f]{16}$/;

/** XOR with a repeating key; position-aware so chunks can be any size. */
function xorInto(chunk: Buffer, key: Buffer, offset: number): Buffer {
  const out = Buffer.allocUnsafe(chunk.length);
  for (let i = 0; i < chunk.length; i++) out[i] = chunk[i]! ^ key[(offset + i) % key.length]!;
  return out;
}

export const isEntryId = (s: string): boolean => ENTRY_ID.test(s);

/**
 * The quarantine vault: `<stateDir>/quarantine/<entryId>/{manifest.json,content.bin}`, every
 * directory 0700 root and every file 0600. The content is never stored as is: XOR with a
 * random per-entry key (in the manifest) is enough that no scanner matches it and no loader
 * runs it, and the entry id is random, so no persistence left behind can name it.
 */
export class QuarantineVault {
  readonly dir: string;

  constructor(
    stateDir: string,
    private readonly log: Logger,
  ) {
    this.dir = join(stateDir, 'quarantine');
  }

  entryDir(entryId: string): string {
    if (!isEntryId(entryId)) throw new QuarantineVaultError(`${entryId} is not a vault entry id`);
    return join(this.dir, entryId);
  }

  /** Creates the entry directory and streams `src` into it encoded; returns the digest of what was read. */
  async storeContent(entryId: string, src: FileHandle, key: Buffer): Promise<Digest & { size: number }> {
    await this.ensureDir(this.dir);
    const dir = this.entryDir(entryId);
    await this.ensureDir(dir);
    const out = await open(join(dir, CONTENT_FILE), 'wx', 0o600);
    let size = 0;
    try {
      const digest = await digestHandle(src, async (chunk) => {
        await out.write(xorInto(chunk, key, size));
        size += chunk.length;
      });
      await out.sync();
      return { ...digest, size };
    } finally {
      await out.close();
    }
  }

  /** Decodes an entry's content into `dest`; returns the digest of the decoded bytes. */
  async decodeContent(m: Manifest, dest: FileHandle): Promise<Digest> {
    const key = Buffer.from(m.content.keyHex, 'hex');
    const src = await open(join(this.entryDir(m.entryId), m.content.file), 'r').catch((e: unknown) => {
      throw new QuarantineVaultError(`vault entry ${m.entryId} has no content file`, { cause: e });
    });
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    let offset = 0;
    try {
      await digestHandle(src, async (chunk) => {
        const plain = xorInto(chunk, key, offset);
        sha256.update(plain);
        md5.update(plain);
        await dest.write(plain);
        offset += chunk.length;
      });
    } finally {
      await src.close();
    }
    return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
  }

  async save(m: Manifest): Promise<void> {
    await writeFileAtomic(join(this.entryDir(m.entryId), MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`, {
      mode: 0o600,
    });
  }

  /** @throws QuarantineVaultError when missing or corrupt. */
  async read(entryId: string): Promise<Manifest> {
    const path = join(this.entryDir(entryId), MANIFEST_FILE);
    let value: unknown;
    try {
      value = await readJsonFile(path);
    } catch (e) {
      throw new QuarantineVaultError(`vault entry ${entryId} is unreadable: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (value === null) throw new QuarantineVaultError(`vault entry ${entryId} has no manifest`);
    const problem = manifestProblem(value);
    if (problem) throw new QuarantineVaultError(`vault entry ${entryId} has a corrupt manifest (${problem})`);
    return value as Manifest;
  }

  /**
   * Every readable entry. One that cannot be read is logged and left out rather than hiding
   * all the others; it stays on disk for someone to look at.
   */
  async list(): Promise<Manifest[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new QuarantineVaultError(`cannot read the vault ${this.dir}`, { cause: e });
    }
    const out: Manifest[] = [];
    for (const name of names.filter(isEntryId).sort()) {
      try {
        out.push(await this.read(name));
      } catch (e) {
        this.log.warn('quarantine vault entry skipped', { entryId: name, error: (e as Error).message });
      }
    }
    return out;
  }

  async remove(entryId: string): Promise<void> {
    await rm(this.entryDir(entryId), { recursive: true, force: true });
  }

  /** 0700 root whatever the umask or an earlier owner left. */
  private async ensureDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    if (process.getuid?.() === 0) await chown(dir, 0, 0);
  }
}
