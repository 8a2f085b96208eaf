import type {
  ActionBatch,
  FileDevice,
  FilePage,
  FileSightingSource,
  FileSummary,
  FileVerdict,
} from '@quell/contracts';
import { fileNames, iso, toAction, type FileRow, type SightingView } from '@quell/store';
import type { ServiceContext } from '../services/context.js';
import type { ServiceDeps } from '../services/service-deps.js';
import { QUARANTINE_TYPE, RESTORE_TYPE, quarantineStates } from './quarantine-state.js';
import { locateCopy } from './stored-copies.js';

/** Caps that keep one page bounded whatever the prevalence: the counts stay exact. */
const SIGHTINGS_READ = 2000;
const DEVICES_SHOWN = 200;
const ALERTS_SHOWN = 50;
const ACTIONS_SHOWN = 100;
const BATCHES_SHOWN = 20;
const QUARANTINE_ACTIONS_READ = 20_000;

/** Assembles the file page from the store: prevalence, alerts, actions, quarantine, stored copy. */
export async function buildFilePage(
  ctx: ServiceContext,
  deps: ServiceDeps,
  row: FileRow,
  verdicts: FileVerdict[],
  groupIds: readonly string[] = [],
): Promise<FilePage> {
  const db = ctx.store.db;
  const { sha256 } = row;
  const [deviceCount, sightings, alerts, byEntity, actions, qRows, copy] = await Promise.all([
    ctx.store.files.deviceCount(db, sha256),
    ctx.store.files.sightings(db, sha256, SIGHTINGS_READ, groupIds),
    ctx.store.files.alerts(db, sha256, ALERTS_SHOWN),
    ctx.store.files.incidents(db, sha256, ALERTS_SHOWN),
    ctx.store.files.actions(db, sha256, ACTIONS_SHOWN),
    ctx.store.files.actionsOfTypes(db, sha256, [QUARANTINE_TYPE, RESTORE_TYPE], QUARANTINE_ACTIONS_READ),
    locateCopy(ctx, deps.blobs, sha256),
  ]);
  const devices = perDevice(sightings);
  const batchIds = [...new Set(actions.map((a) => a.batch_id).filter((b): b is string => !!b))].slice(
    0,
    BATCHES_SHOWN,
  );
  const batches: ActionBatch[] = [];
  for (const id of batchIds) batches.push(await deps.actionBatches.get(id));
  const incidents = new Map<string, FilePage['incidents'][number]>();
  for (const i of byEntity) incidents.set(i.id, i);
  for (const a of alerts) {
    incidents.set(a.incident_id, {
      id: a.incident_id,
      title: a.incident_title,
      status: a.incident_status,
      severity: a.incident_severity,
    });
  }
  return {
    file: toFileSummary(row, deviceCount),
    paths: [...new Set(sightings.map((s) => s.path).filter(Boolean))].slice(0, DEVICES_SHOWN),
    devices: devices.slice(0, DEVICES_SHOWN),
    devicesTruncated:
      devices.length > DEVICES_SHOWN ||
      sightings.length === SIGHTINGS_READ ||
      (groupIds.length === 0 && deviceCount > devices.length),
    verdicts,
    alerts: alerts.map((a) => ({
      alertId: a.alert_id,
      incidentId: a.incident_id,
      title: a.title,
      severity: a.severity,
      at: iso(a.at),
    })),
    incidents: [...incidents.values()],
    actions: actions.map(toAction),
    batches,
    quarantine: quarantineStates(qRows),
    storedCopy: copy
      ? {
          size: copy.size,
          collectedAt: copy.collectedAt,
          deviceHostname: copy.deviceHostname,
          actionId: copy.actionId,
        }
      : null,
  };
}

/** Sightings (newest first) folded per device, keeping that order. */
function perDevice(sightings: readonly SightingView[]): FileDevice[] {
  const out = new Map<string, FileDevice>();
  for (const s of sightings) {
    let d = out.get(s.device_id);
    if (!d) {
      d = {
        deviceId: s.device_id,
        hostname: s.hostname,
        paths: [],
        sources: [],
        firstSeenAt: iso(s.first_seen_at),
        lastSeenAt: iso(s.last_seen_at),
        count: 0,
      };
      out.set(s.device_id, d);
    }
    if (s.path && !d.paths.includes(s.path)) d.paths.push(s.path);
    const source = s.source as FileSightingSource;
    if (!d.sources.includes(source)) d.sources.push(source);
    if (iso(s.first_seen_at) < d.firstSeenAt) d.firstSeenAt = iso(s.first_seen_at);
    d.count += Number(s.count);
  }
  return [...out.values()];
}

export function toFileSummary(r: FileRow, deviceCount: number): FileSummary {
  return {
    sha256: r.sha256,
    sha1: r.sha1,
    md5: r.md5,
    size: r.size === null ? null : Number(r.size),
    names: fileNames(r),
    firstSeenAt: iso(r.first_seen_at),
    lastSeenAt: iso(r.last_seen_at),
    deviceCount,
  };
}
