import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { CatalogItem, FilesItem } from './catalog.types.js';
import { commandLine, commandSource } from './command.source.js';
import { describeError } from './errors.js';
import { fileSource } from './file.source.js';
import type { SourceNotes } from './file.source.js';
import { expandGlob, isPattern } from './glob.js';
import { listingSource } from './listing.source.js';
import { READERS } from './readers/registry.js';

/** Settings the units need from the collector. */
export interface UnitSettings {
  fsRoot: string;
  procRoot: string;
  commandTimeoutMs: number;
  maxFileBytes: number;
  hashMaxBytes: number;
  maxFilesPerItem: number;
  maxListingEntries: number;
  signal: AbortSignal;
}

/**
 * One prospective zip entry of an item: where it goes, where it comes from, and how to start
 * reading it; or, for sources known to be absent or unreadable before reading, the reason.
 */
export type ItemUnit =
  | { name: string; source: string; notes: SourceNotes; open: () => AsyncIterable<string | Uint8Array> }
  | { name: string; source: string; missing: string }
  | { name: string; source: string; failed: string };

/** Turns a catalog item into its units; files items expand their patterns here. */
export async function* itemUnits(item: CatalogItem, s: UnitSettings): AsyncGenerator<ItemUnit> {
  const folder = `${item.category}/`;
  switch (item.kind) {
    case 'files':
      yield* fileUnits(item, s);
      return;
    case 'command': {
      const fsRoot = s.fsRoot.replace(/\/+$/, '');
      const args = item.args.map((a) => a.replaceAll('{fsRoot}', fsRoot));
      const unit = { name: folder + item.output, source: commandLine(item.command, args), notes: {} };
      if (item.requires && !(await exists(path.join(s.fsRoot, item.requires.path)))) {
        yield { ...unit, missing: item.requires.why };
        return;
      }
      yield {
        ...unit,
        open: () =>
          commandSource({ command: item.command, args, timeoutMs: s.commandTimeoutMs, signal: s.signal }),
      };
      return;
    }
    case 'reader': {
      const ctx = { fsRoot: s.fsRoot, procRoot: s.procRoot, signal: s.signal };
      yield {
        name: folder + item.output,
        source: `reader ${item.reader} (${s.procRoot})`,
        notes: {},
        open: () => READERS[item.reader](ctx),
      };
      return;
    }
    case 'listing': {
      const notes: SourceNotes = {};
      const source = `listing of ${item.roots.map((r) => path.join(s.fsRoot, r)).join(', ')}`;
      const open = () =>
        listingSource({
          fsRoot: s.fsRoot,
          roots: item.roots,
          hash: item.hash,
          hashMaxBytes: s.hashMaxBytes,
          maxEntries: s.maxListingEntries,
          signal: s.signal,
          notes,
        });
      yield { name: folder + item.output, source, notes, open };
      return;
    }
  }
}

async function* fileUnits(item: FilesItem, s: UnitSettings): AsyncGenerator<ItemUnit> {
  const root = item.root === 'fs' ? s.fsRoot : s.procRoot;
  // proc files keep a proc/ prefix in the zip so they cannot collide with fsRoot paths.
  const prefix = `${item.category}/${item.id}/${item.root === 'proc' ? 'proc/' : ''}`;
  const seen = new Set<string>();
  let count = 0;
  const unit = (rel: string): ItemUnit => {
    const notes: SourceNotes = {};
    const file = path.join(root, rel);
    const tail = item.read === 'tail' && !rel.endsWith('.gz');
    return {
      name: prefix + rel,
      source: file,
      notes,
      open: () => fileSource(file, { tail, maxBytes: s.maxFileBytes, notes }),
    };
  };
  for (const pattern of item.paths) {
    if (!isPattern(pattern)) {
      yield unit(pattern);
      continue;
    }
    let matched = 0;
    for await (const hit of expandGlob(root, pattern, s.signal)) {
      matched++;
      if (hit.error !== undefined) {
        yield {
          name: prefix + hit.rel,
          source: path.join(root, hit.rel),
          failed: `cannot list: ${describeError(hit.error)}`,
        };
        continue;
      }
      // /lib is /usr/lib on merged-usr systems: one copy of each file is enough.
      const real = await realpath(path.join(root, hit.rel)).catch(() => path.join(root, hit.rel));
      if (seen.has(real)) continue;
      seen.add(real);
      if (++count > s.maxFilesPerItem) {
        yield {
          name: prefix + pattern,
          source: path.join(root, pattern),
          failed: `more than ${s.maxFilesPerItem} files matched; the rest were skipped`,
        };
        return;
      }
      yield unit(hit.rel);
    }
    if (!matched)
      yield { name: prefix + pattern, source: path.join(root, pattern), missing: 'no file matches' };
  }
}

async function exists(p: string): Promise<boolean> {
  return realpath(p).then(
    () => true,
    () => false,
  );
}
