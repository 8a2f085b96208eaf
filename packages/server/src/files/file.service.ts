import type { Writable } from 'node:stream';
import type {
  Action,
  ActionBatch,
  FileCollectInput,
  FileDownloadInput,
  FileListQuery,
  FileObservation,
  FilePage,
  FileQuarantineInput,
  FileRestoreInput,
  FileSummary,
  FileVerdict,
} from '@quell/contracts';
import { MAX_BATCH_DEVICES } from '@quell/contracts';
import {
  ConflictError,
  InputError,
  NotFoundError,
  PENDING_STATUSES,
  type ActionStatus,
  type Principal,
} from '@quell/core';
import { fileNames, type AlertRow, type FileRow, type Tx } from '@quell/store';
import { checkZipPassword, writeAesZip } from '../blobs/aes-zip.js';
import { audit, type ServiceContext } from '../services/context.js';
import type { ServiceDeps } from '../services/service-deps.js';
import { fileFactsOfAlerts } from './file-alerts.js';
import { foldObservations, type ResolvedObservation } from './file-observations.js';
import { buildFilePage, toFileSummary } from './file-page.js';
import { QUARANTINE_TYPE } from './quarantine-state.js';
import { locateCopy } from './stored-copies.js';

const DAY = 86_400_000;
const PENDING: ReadonlySet<string> = new Set<ActionStatus>(PENDING_STATUSES);
const SHA256 = /^[a-f0-9]{64}$/;

/** What verdict sources (indicators, deep analysis) say of a file; null or [] when they know nothing. */
export type VerdictSource = (sha256: string) => Promise<FileVerdict | FileVerdict[] | null>;

/** Defaults of the file area; the request may narrow or raise them where the API says so. */
export interface FileLimits {
  /** Most devices "quarantine everywhere" may hit without naming them. Default 1,000. */
  quarantineCap: number;
  /** How far back "every device that saw it" looks. Default 30 days. */
  seenWithinDays: number;
}

/** What `record` did. */
export interface RecordResult {
  files: number;
  sightings: number;
  /** Device names no device matched; their observations were left out. */
  unknownDevices: string[];
}

/** A zip ready to stream: validated, audited, named. */
export interface FileDownload {
  filename: string;
  write(out: Writable): Promise<void>;
}

/**
 * Files (issue 4): what Quell knows of a file (hashes, names, where and when it was seen, alerts
 * naming it, actions on it), stop-and-quarantine on every device that saw it as one batch, restore
 * as the undo of those quarantines, collection, and the password-protected download of a stored
 * copy. Every change goes through the action pipeline; this service only chooses the targets.
 */
export class FileService {
  readonly limits: FileLimits = { quarantineCap: 1000, seenWithinDays: 30 };
  private verdictSources: VerdictSource[] = [];

  constructor(
    protected readonly ctx: ServiceContext,
    protected readonly deps: ServiceDeps,
  ) {
    deps.ingest.afterStore.push((trx, alerts) => this.recordAlerts(trx, alerts));
  }

  /**
   * The hook verdict providers fill (the indicators service, deep analysis): the file page asks
   * every source and lists what they say. Assigning replaces the sources; `addVerdictSource` adds.
   */
  set verdictOf(source: VerdictSource | undefined) {
    this.verdictSources = source ? [source] : [];
  }
  get verdictOf(): VerdictSource | undefined {
    return this.verdictSources[0];
  }
  addVerdictSource(source: VerdictSource): void {
    this.verdictSources.push(source);
  }

  /**
   * Records observations (agents' executed images, scan detections, package contents…): one
   * transaction, a few multi-row upserts whatever the batch size. Idempotent: a repeated report
   * changes nothing (a sighting's count grows only with a newer observation). Observations on
   * devices Quell does not know are left out and named in the answer.
   */
  async record(observations: readonly FileObservation[]): Promise<RecordResult> {
    if (!observations.length) return { files: 0, sightings: 0, unknownDevices: [] };
    const resolved: ResolvedObservation[] = [];
    observations.forEach((o, i) => {
      const at = Date.parse(o.at);
      if (Number.isNaN(at)) throw new InputError(`observations[${i}].at is not a date.`, { index: i });
      if (!/^[A-Fa-f0-9]{64}$/.test(o.sha256))
        throw new InputError(`observations[${i}].sha256 is not a SHA-256.`, { index: i });
    });
    return this.ctx.store.transaction(async (trx) => {
      const names = [...new Set(observations.map((o) => o.device))];
      const { devices, unknown } = await this.ctx.store.actionBatches.selectDevices(trx, { devices: names });
      const byName = new Map<string, string>();
      for (const d of devices) {
        byName.set(d.id, d.id);
        byName.set(d.hostname, d.id);
      }
      for (const o of observations) {
        const deviceId = byName.get(o.device) ?? byName.get(o.device.toLowerCase());
        if (!deviceId) continue;
        resolved.push({
          sha256: o.sha256.toLowerCase(),
          sha1: o.sha1,
          md5: o.md5,
          size: o.size,
          deviceId,
          path: o.path,
          source: o.source,
          at: Date.parse(o.at),
        });
      }
      const written = await this.write(trx, resolved);
      return { ...written, unknownDevices: unknown };
    });
  }

  /** File entities of alerts just ingested (the ingest hook), in the ingest's transaction. */
  private async recordAlerts(trx: Tx, alerts: readonly AlertRow[]): Promise<void> {
    const { links, observations } = await fileFactsOfAlerts(this.ctx, trx, alerts);
    if (!links.length) return;
    await this.write(trx, observations);
    await this.ctx.store.files.insertAlertLinks(trx, links);
  }

  private async write(
    trx: Tx,
    obs: readonly ResolvedObservation[],
  ): Promise<{ files: number; sightings: number }> {
    if (!obs.length) return { files: 0, sightings: 0 };
    const shas = [...new Set(obs.map((o) => o.sha256))].sort();
    const known = new Map((await this.ctx.store.files.getMany(trx, shas)).map((r) => [r.sha256, r]));
    const { files, sightings } = foldObservations(obs, known);
    // Sorted so concurrent reports lock rows in one order (PostgreSQL) and cannot deadlock.
    files.sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
    sightings.sort((a, b) =>
      a.sha256 !== b.sha256 ? (a.sha256 < b.sha256 ? -1 : 1) : a.device_id < b.device_id ? -1 : 1,
    );
    await this.ctx.store.files.upsertFiles(trx, files);
    await this.ctx.store.files.upsertSightings(trx, sightings);
    return { files: files.length, sightings: sightings.length };
  }

  /** Records a stored copy of a file (an agent's verified upload for a collect or quarantine). */
  async recordCopy(copy: {
    sha256: string;
    blobSha256: string;
    size: number;
    deviceId?: string | null;
    actionId?: string | null;
  }): Promise<void> {
    await this.ctx.store.files.upsertBlob(this.ctx.store.db, {
      sha256: copy.sha256.toLowerCase(),
      blob_sha256: copy.blobSha256,
      size: copy.size,
      collected_at: this.ctx.clock.now(),
      device_id: copy.deviceId ?? null,
      action_id: copy.actionId ?? null,
    });
  }

  /**
   * The file page; `id` is a SHA-256, or a SHA-1 or MD5 Quell has seen. A principal scoped to
   * device groups sees the devices of its groups only (as in the device list); the device count
   * stays the fleet-wide prevalence.
   */
  async get(principal: Principal, id: string): Promise<FilePage> {
    const row = await this.find(id);
    return buildFilePage(this.ctx, this.deps, row, await this.verdicts(row.sha256), principal.deviceGroupIds);
  }

  async list(q: FileListQuery): Promise<{ items: FileSummary[]; nextCursor: string | null }> {
    const page = await this.ctx.store.files.list({
      limit: q.limit ?? 50,
      ...(q.q !== undefined && { query: q.q }),
      ...(q.cursor !== undefined && { cursor: q.cursor }),
    });
    return { items: page.items.map((r) => toFileSummary(r, r.device_count)), nextCursor: page.nextCursor };
  }

  /**
   * Stop and quarantine: on the devices named, or else on every device that saw the file in the
   * last `seenWithinDays` (default 30), refused over the cap so a fleet-wide change is never an
   * accident. One batch: per-device status counts come with it.
   */
  async quarantine(principal: Principal, id: string, input: FileQuarantineInput): Promise<ActionBatch> {
    const sha256 = sha256Of(id);
    let devices = input.devices;
    if (!devices) {
      const days = input.seenWithinDays ?? this.limits.seenWithinDays;
      const cap = input.cap ?? this.limits.quarantineCap;
      const since = this.ctx.clock.now() - days * DAY;
      const file = await this.ctx.store.files.get(this.ctx.store.db, sha256);
      if (!file) throw unknownFile(sha256, 'name the devices to quarantine it on (`--device`)');
      // A caller scoped to device groups means "everywhere I may act".
      const scope = principal.deviceGroupIds;
      const seen = await this.ctx.store.files.devicesSeenSince(
        this.ctx.store.db,
        sha256,
        since,
        cap + 1,
        scope,
      );
      if (seen.length > cap) {
        const n = await this.ctx.store.files.countDevicesSeenSince(this.ctx.store.db, sha256, since, scope);
        throw new InputError(
          `${n} devices saw ${sha256} in the last ${days} days, more than the cap of ${cap}; nothing was requested. Narrow it with \`--days\` or \`--device\`, or raise the cap (\`cap\`, up to ${MAX_BATCH_DEVICES}).`,
          { devices: n, cap, seenWithinDays: days },
        );
      }
      if (!seen.length) {
        throw new InputError(
          `No device saw ${sha256} in the last ${days} days; widen \`--days\` or name the devices (\`--device\`).`,
          { seenWithinDays: days },
        );
      }
      devices = seen.map((d) => d.device_id);
    }
    // Without a path the agent finds only running copies; with it, the copy on disk too.
    const paths = await this.ctx.store.files.latestPaths(this.ctx.store.db, sha256);
    return this.deps.actionBatches.request(
      principal,
      {
        type: QUARANTINE_TYPE,
        select: { devices },
        params: { sha256 },
        ...(input.comment !== undefined && { comment: input.comment }),
        ...(input.incidentId !== undefined && { incidentId: input.incidentId }),
      },
      {
        paramsFor: (d) => {
          const path = paths.get(d.id);
          return path ? { path } : undefined;
        },
      },
    );
  }

  /**
   * Restore: the undo of every succeeded quarantine of the file not undone yet, on the devices
   * named (default: all). Each undo is a `restore_quarantined_file` action through the pipeline.
   */
  async restore(principal: Principal, id: string, input: FileRestoreInput = {}): Promise<Action[]> {
    const sha256 = sha256Of(id);
    const db = this.ctx.store.db;
    let hosts: Set<string> | null = null;
    if (input.devices) {
      const { devices, unknown } = await this.ctx.store.actionBatches.selectDevices(db, {
        devices: input.devices,
      });
      if (unknown.length) {
        throw new NotFoundError(`No device ${unknown.join(', ')}; nothing was restored.`, { unknown });
      }
      hosts = new Set(devices.map((d) => d.hostname));
    }
    const rows = await this.ctx.store.files.actionsOfTypes(db, sha256, [QUARANTINE_TYPE], MAX_BATCH_DEVICES);
    const undoable = rows.filter((r) => {
      if (r.status !== 'succeeded' || r.undone_by) return false;
      if (!hosts) return true;
      const host = (JSON.parse(r.target) as { deviceHostname?: string }).deviceHostname?.toLowerCase();
      return host !== undefined && hosts.has(host);
    });
    if (!undoable.length) {
      throw new ConflictError(
        `Nothing to restore: ${sha256} has no succeeded quarantine that is not already undone${hosts ? ' on those devices' : ''}. \`quell file show ${sha256}\` shows where it stands.`,
        { sha256 },
      );
    }
    return this.deps.actions.bulkUndo(
      principal,
      undoable.map((r) => r.id),
      input.comment,
    );
  }

  /** Collects the file from one device (`collect_file`); the path defaults to where that device saw it last. */
  async collect(principal: Principal, id: string, input: FileCollectInput): Promise<Action> {
    const sha256 = sha256Of(id);
    const db = this.ctx.store.db;
    const device = await this.ctx.store.agents.byIdOrHostname(db, input.device);
    if (!device) {
      throw new NotFoundError(`No device ${input.device}. \`quell devices list\` shows the devices.`, {
        device: input.device,
      });
    }
    const copy = await locateCopy(this.ctx, this.deps.blobs, sha256);
    if (copy) {
      throw new ConflictError(
        `A copy of ${sha256} is already stored (${copy.size} bytes); download it with \`quell file download ${sha256} --reason …\`.`,
        { sha256 },
      );
    }
    // One upload per hash: a collect still on its way makes another pointless.
    const pending = (await this.ctx.store.files.actionsOfTypes(db, sha256, ['collect_file'], 10_000)).find(
      (r) => PENDING.has(r.status),
    );
    if (pending) {
      throw new ConflictError(
        `A collect of ${sha256} is already ${pending.status.replace(/_/g, ' ')} (action ${pending.id}); follow it with \`quell actions show ${pending.id}\`.`,
        { actionId: pending.id },
      );
    }
    const path =
      input.path ??
      (await this.ctx.store.files.sightings(db, sha256, 1000)).find(
        (s) => s.device_id === device.id && s.path,
      )?.path;
    return this.deps.actions.request(principal, {
      type: 'collect_file',
      target: { kind: 'file', id: sha256, deviceHostname: device.hostname },
      params: { sha256, ...(path && { path }) },
      ...(input.comment !== undefined && { comment: input.comment }),
      ...(input.incidentId !== undefined && { incidentId: input.incidentId }),
    });
  }

  /**
   * Checks a download and audits it (`file.downloaded`, with the reason) before a byte is sent;
   * the caller then streams the zip. Refused, with nothing audited: no stored copy, no reason, a
   * password shorter than 10 characters.
   */
  async openDownload(principal: Principal, id: string, input: FileDownloadInput): Promise<FileDownload> {
    const sha256 = sha256Of(id);
    const reason = input.reason.trim();
    if (!reason)
      throw new InputError('Say why you download this file (`reason`); it is kept in the audit log.');
    checkZipPassword(input.password);
    const copy = await locateCopy(this.ctx, this.deps.blobs, sha256);
    if (!copy) {
      throw new NotFoundError(
        `No copy of ${sha256} is stored on the server. Collect one first: \`quell file collect ${sha256} --device <hostname>\`.`,
        { sha256 },
      );
    }
    const row = await this.ctx.store.files.get(this.ctx.store.db, sha256);
    const name = safeName((row && fileNames(row)[0]) || sha256);
    await this.ctx.store.transaction((trx) =>
      audit(this.ctx, trx, principal, 'file.downloaded', sha256, {
        reason,
        name,
        size: copy.size,
        blobSha256: copy.blobSha256,
      }),
    );
    const password = input.password;
    return {
      filename: `${name}.zip`,
      write: async (out) =>
        writeAesZip([{ name, content: await this.deps.blobs.open(copy.blobSha256) }], out, password),
    };
  }

  /** `openDownload`, then the zip written to `out`. */
  async download(principal: Principal, id: string, input: FileDownloadInput, out: Writable): Promise<void> {
    const d = await this.openDownload(principal, id, input);
    await d.write(out);
  }

  private async find(id: string): Promise<FileRow> {
    const v = id.toLowerCase();
    const db = this.ctx.store.db;
    const row = SHA256.test(v)
      ? await this.ctx.store.files.get(db, v)
      : /^[a-f0-9]{40}$/.test(v)
        ? await this.ctx.store.files.byHash(db, 'sha1', v)
        : /^[a-f0-9]{32}$/.test(v)
          ? await this.ctx.store.files.byHash(db, 'md5', v)
          : undefined;
    if (row) return row;
    if (!/^[a-f0-9]{32}$|^[a-f0-9]{40}$|^[a-f0-9]{64}$/.test(v)) {
      throw new InputError(`${id} is not a file hash: give its SHA-256 (64 hex digits), SHA-1 or MD5.`, {
        id,
      });
    }
    throw unknownFile(id, 'files appear when agents report them or alerts name them');
  }

  private async verdicts(sha256: string): Promise<FileVerdict[]> {
    const out: FileVerdict[] = [];
    for (const source of this.verdictSources) {
      try {
        const v = await source(sha256);
        if (v) out.push(...(Array.isArray(v) ? v : [v]));
      } catch (e) {
        // A failing verdict source must not take the file page down; the page shows the others.
        this.ctx.log.warn({ err: e, sha256 }, 'a verdict source failed');
      }
    }
    return out;
  }
}

function sha256Of(id: string): string {
  const v = id.toLowerCase();
  if (!SHA256.test(v)) {
    throw new InputError(`${id} is not a SHA-256: give the file's SHA-256 as 64 hex digits.`, { id });
  }
  return v;
}

function unknownFile(id: string, hint: string): NotFoundError {
  return new NotFoundError(
    `Quell has not seen a file ${id}; ${hint}. \`quell file list\` lists known files.`,
    {
      id,
    },
  );
}

/** A name safe inside a zip and a Content-Disposition header, whatever an agent reported. */
function safeName(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 200) || 'file'
  );
}
