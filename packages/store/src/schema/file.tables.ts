/** Tables of files: what Quell knows of each file and where it was seen (issue 4); migration 006. */

/** One row per file content (SHA-256): hashes, size, the names it went by, when it was seen. */
export interface FilesTable {
  sha256: string;
  sha1: string | null;
  md5: string | null;
  size: number | null;
  /** JSON array of base names, most recent first, capped (see FileRepo). */
  names: string;
  first_seen_at: number;
  last_seen_at: number;
}

/** Where a file was seen: one row per (file, device, path), counted and time-ranged. */
export interface FileSightingsTable {
  sha256: string;
  device_id: string;
  path: string;
  /** How it was last seen (`FILE_SIGHTING_SOURCES`). */
  source: string;
  first_seen_at: number;
  last_seen_at: number;
  count: number;
}

/** Alerts that named a file as evidence, for the file page's related alerts and incidents. */
export interface FileAlertsTable {
  sha256: string;
  alert_id: string;
  incident_id: string;
  at: number;
}

/** A stored copy of a file (collected or uploaded on quarantine) in the blob store. */
export interface FileBlobsTable {
  sha256: string;
  blob_sha256: string;
  size: number;
  collected_at: number;
  device_id: string | null;
  action_id: string | null;
}

export interface FileTables {
  files: FilesTable;
  file_sightings: FileSightingsTable;
  file_alerts: FileAlertsTable;
  file_blobs: FileBlobsTable;
}
