import type { FileSightingSource } from '@quell/contracts';
import { MAX_FILE_NAMES, fileNames, type FileRow, type FileSightingRow, type FileUpsert } from '@quell/store';

/** One observation with its device resolved and its time parsed: what `record` writes. */
export interface ResolvedObservation {
  sha256: string;
  sha1?: string | undefined;
  md5?: string | undefined;
  size?: number | undefined;
  /** Null when no device is known (an alert naming a hash only): the file is recorded, no sighting. */
  deviceId: string | null;
  /** Empty when the reporter did not know it (an alert naming only the hash). */
  path: string;
  /** Base name, when known apart from the path (an alert's `name`). */
  name?: string | undefined;
  source: FileSightingSource;
  at: number;
}

/** The last segment of a Unix or Windows path. */
export function baseName(path: string): string {
  const parts = path.split(/[/\\]/);
  return parts[parts.length - 1] ?? '';
}

/**
 * Folds a batch of observations into one upsert per file and per (file, device, path), so a report
 * of thousands is a few multi-row statements, and merges names with what is already known:
 * newest first, distinct, capped.
 */
export function foldObservations(
  obs: readonly ResolvedObservation[],
  known: ReadonlyMap<string, FileRow>,
): { files: FileUpsert[]; sightings: FileSightingRow[] } {
  const files = new Map<string, FileUpsert & { named: Array<{ name: string; at: number }> }>();
  const sightings = new Map<string, FileSightingRow>();
  for (const o of obs) {
    let f = files.get(o.sha256);
    if (!f) {
      f = {
        sha256: o.sha256,
        sha1: null,
        md5: null,
        size: null,
        names: [],
        named: [],
        first_seen_at: o.at,
        last_seen_at: o.at,
      };
      files.set(o.sha256, f);
    }
    f.sha1 ??= o.sha1?.toLowerCase() ?? null;
    f.md5 ??= o.md5?.toLowerCase() ?? null;
    f.size ??= o.size ?? null;
    f.first_seen_at = Math.min(f.first_seen_at, o.at);
    f.last_seen_at = Math.max(f.last_seen_at, o.at);
    const name = o.name ?? (o.path ? baseName(o.path) : '');
    if (name) f.named.push({ name, at: o.at });

    if (o.deviceId === null) continue;
    const key = `${o.sha256}\u0000${o.deviceId}\u0000${o.path}`;
    const s = sightings.get(key);
    if (!s) {
      sightings.set(key, {
        sha256: o.sha256,
        device_id: o.deviceId,
        path: o.path,
        source: o.source,
        first_seen_at: o.at,
        last_seen_at: o.at,
        count: 1,
      });
    } else {
      s.count += 1;
      s.first_seen_at = Math.min(s.first_seen_at, o.at);
      if (o.at >= s.last_seen_at) {
        s.last_seen_at = o.at;
        s.source = o.source;
      }
    }
  }
  const out: FileUpsert[] = [];
  for (const f of files.values()) {
    const prior = known.get(f.sha256);
    const fresh = f.named.sort((a, b) => b.at - a.at).map((n) => n.name);
    // Names seen in this batch go first only when they are newer than what the row already has.
    const ordered =
      prior && prior.last_seen_at > f.last_seen_at
        ? [...fileNames(prior), ...fresh]
        : [...fresh, ...(prior ? fileNames(prior) : [])];
    const { named: _named, ...row } = f;
    out.push({ ...row, names: [...new Set(ordered)].slice(0, MAX_FILE_NAMES) });
  }
  return { files: out, sightings: [...sightings.values()] };
}
