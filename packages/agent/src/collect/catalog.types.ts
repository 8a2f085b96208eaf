/**
 * The shape of the investigation catalog: each item is data saying where its content comes
 * from, so the package's contents can be reviewed, listed and tested without running anything.
 */

/** Top-level folders of the package; every item belongs to one. */
export const COLLECT_CATEGORIES = [
  'processes',
  'open-files',
  'network',
  'dns',
  'proxy',
  'accounts',
  'sign-ins',
  'shell-history',
  'persistence',
  'kernel-modules',
  'packages',
  'storage',
  'system',
  'temp-files',
  'logs',
] as const;
export type CollectCategory = (typeof COLLECT_CATEGORIES)[number];

/** Built-in readers that walk /proc (or the file tree) in code; see `readers/registry.ts`. */
export const READER_NAMES = ['processes', 'process-tree', 'open-files', 'connections', 'proxy-env'] as const;
export type ReaderName = (typeof READER_NAMES)[number];

export const ITEM_KINDS = ['files', 'command', 'reader', 'listing'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

interface ItemBase {
  /** Unique, stable id; also the item's folder or file stem in the zip. */
  readonly id: string;
  readonly category: CollectCategory;
  /** One line for people reading the catalog or summary. */
  readonly title: string;
}

/**
 * Copies files. Paths are relative to the root (`fs`: the collector's `fsRoot`, `proc`: its
 * `procRoot`) and may hold `*`, `?` (within a name) and `**` (any depth, symlinked directories
 * not followed). A literal path that is absent, or a pattern that matches nothing, is recorded as
 * `missing`.
 */
export interface FilesItem extends ItemBase {
  readonly kind: 'files';
  readonly root: 'fs' | 'proc';
  readonly paths: readonly string[];
  /** `tail` keeps the end of files larger than `maxFileBytes` (logs); default `head`. */
  readonly read?: 'head' | 'tail';
}

/**
 * Runs a program without a shell, with the collector's timeout; stdout is the item. `{fsRoot}` in
 * an argument is replaced by `fsRoot` (without its trailing slash), so commands that read files
 * (last -f, dpkg --admindir) read the same tree as the file items.
 */
export interface CommandItem extends ItemBase {
  readonly kind: 'command';
  readonly command: string;
  readonly args: readonly string[];
  /** File name inside the category folder. */
  readonly output: string;
  /** A path under `fsRoot` that must exist for the command to make sense, and why. */
  readonly requires?: { readonly path: string; readonly why: string };
}

/** Runs a built-in reader; its output is the item. */
export interface ReaderItem extends ItemBase {
  readonly kind: 'reader';
  readonly reader: ReaderName;
  readonly output: string;
}

/**
 * Lists directory trees under `fsRoot` as JSON lines (path, type, size, mode, owner, mtime, link
 * target) without following symlinks, hashing regular files up to `hashMaxBytes` when `hash`.
 */
export interface ListingItem extends ItemBase {
  readonly kind: 'listing';
  readonly roots: readonly string[];
  readonly hash: boolean;
  readonly output: string;
}

export type CatalogItem = FilesItem | CommandItem | ReaderItem | ListingItem;
