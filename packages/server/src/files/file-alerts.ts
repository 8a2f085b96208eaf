import type { EntityView } from '@quell/contracts';
import type { FileEntity, ProcessEntity } from '@quell/core';
import { fromJson, type AlertRow, type FileAlertRow, type Tx } from '@quell/store';
import type { ServiceContext } from '../services/context.js';
import type { ResolvedObservation } from './file-observations.js';

const SHA256 = /^[A-Fa-f0-9]{64}$/;

/**
 * What stored alerts say about files: every file entity with a SHA-256 becomes a link to the
 * alert (for the file page's related alerts and incidents) and, on each device the alert names,
 * a sighting with source `alert`. Files known only by SHA-1, MD5 or path are left out: the file
 * page is keyed by SHA-256.
 */
export async function fileFactsOfAlerts(
  ctx: ServiceContext,
  trx: Tx,
  alerts: readonly AlertRow[],
): Promise<{ links: FileAlertRow[]; observations: ResolvedObservation[] }> {
  const links: FileAlertRow[] = [];
  const pending: Array<{ hosts: string[]; file: FileEntity; at: number }> = [];
  for (const a of alerts) {
    const entities = fromJson<EntityView[]>(a.entities, []);
    const files = entities
      .filter((e) => e.kind === 'file')
      .map((e) => e.evidence as unknown as FileEntity)
      .filter((f) => typeof f.sha256 === 'string' && SHA256.test(f.sha256));
    if (!files.length) continue;
    const hosts = entities.flatMap((e) => {
      if (e.kind === 'device') return [String(e.evidence.hostname ?? '').toLowerCase()];
      if (e.kind === 'process') {
        const p = e.evidence as unknown as ProcessEntity;
        return p.deviceHostname ? [p.deviceHostname.toLowerCase()] : [];
      }
      return [];
    });
    for (const f of files) {
      const sha256 = f.sha256!.toLowerCase();
      links.push({ sha256, alert_id: a.id, incident_id: a.incident_id, at: a.first_activity_at });
      pending.push({ hosts: [...new Set(hosts.filter(Boolean))], file: f, at: a.last_activity_at });
    }
  }
  if (!pending.length) return { links, observations: [] };
  const allHosts = [...new Set(pending.flatMap((p) => p.hosts))];
  // The ingest already recorded every device its alerts name, so each host resolves.
  const devices = new Map(
    (await ctx.store.devices.devicesByHostname(trx, allHosts)).map((d) => [d.hostname, d.id]),
  );
  const observations: ResolvedObservation[] = [];
  for (const p of pending) {
    const ids = p.hosts.map((h) => devices.get(h)).filter((d): d is string => d !== undefined);
    for (const deviceId of ids.length ? ids : [null]) {
      observations.push({
        sha256: p.file.sha256!.toLowerCase(),
        sha1: p.file.sha1,
        md5: p.file.md5,
        size: p.file.size,
        deviceId,
        path: p.file.path ?? '',
        name: p.file.name,
        source: 'alert',
        at: p.at,
      });
    }
  }
  return { links, observations };
}
