import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';

/**
 * A directory of small JSON files keyed by action id, one file each, so a record is written
 * atomically without rewriting its neighbours. The `a_` prefix keeps ids like `..` (allowed by
 * the protocol's id pattern) from ever naming a path outside the directory.
 */
export class ActionFiles<T> {
  constructor(readonly dir: string) {}

  private path(actionId: string): string {
    return join(this.dir, `a_${actionId}.json`);
  }

  async write(actionId: string, value: T): Promise<void> {
    await writeFileAtomic(this.path(actionId), JSON.stringify(value));
  }

  async read(actionId: string): Promise<T | null> {
    return (await readJsonFile(this.path(actionId))) as T | null;
  }

  async remove(actionId: string): Promise<void> {
    await unlink(this.path(actionId)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  /** Action ids present on disk. */
  async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => n.startsWith('a_') && n.endsWith('.json')).map((n) => n.slice(2, -5));
  }
}
