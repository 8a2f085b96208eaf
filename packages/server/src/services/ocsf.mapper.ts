import type { AlertInput, EntityInput, OcsfDetectionFinding } from '@quell/contracts';
import type { Severity } from '@quell/core';

/** OCSF severity_id → Quell severity. 0 Unknown and 99 Other carry no signal: informational. */
const SEVERITY_BY_ID: Record<number, Severity> = {
  0: 'informational',
  1: 'informational',
  2: 'low',
  3: 'medium',
  4: 'high',
  5: 'high',
  6: 'high',
};
const HASH_FIELD: Record<number, 'md5' | 'sha1' | 'sha256'> = { 1: 'md5', 2: 'sha1', 3: 'sha256' };
const HASH_LEN = { md5: 32, sha1: 40, sha256: 64 } as const;

/** Maps an OCSF Detection Finding (class 2004) to Quell's alert schema. */
export function ocsfToAlert(f: OcsfDetectionFinding): AlertInput {
  const entities: EntityInput[] = [];
  if (f.device) {
    entities.push({
      kind: 'device',
      hostname: f.device.hostname,
      ...(f.device.uid && { deviceId: f.device.uid }),
      ...(f.device.ip && { ip: f.device.ip }),
      ...(f.device.os?.name && { os: f.device.os.name }),
    });
  }
  const user = f.actor?.user;
  if (user)
    entities.push({
      kind: 'user',
      username: user.name,
      ...(user.domain && { domain: user.domain }),
      ...(user.email_addr && { email: user.email_addr }),
    });
  const proc = f.actor?.process;
  if (proc && (proc.name || proc.pid !== undefined)) {
    entities.push({
      kind: 'process',
      ...(proc.pid !== undefined && { pid: proc.pid }),
      ...(proc.name && { name: proc.name }),
      ...(proc.cmd_line && { commandLine: proc.cmd_line }),
      ...(f.device?.hostname && { deviceHostname: f.device.hostname }),
    });
  }
  for (const ev of f.evidences ?? []) {
    if (ev.file) {
      const file: EntityInput & { kind: 'file' } = { kind: 'file' };
      if (ev.file.name) file.name = ev.file.name;
      if (ev.file.path) file.path = ev.file.path;
      if (ev.file.size !== undefined) file.size = ev.file.size;
      for (const h of ev.file.hashes ?? []) {
        const field = HASH_FIELD[h.algorithm_id];
        if (field && h.value.length === HASH_LEN[field] && /^[A-Fa-f0-9]+$/.test(h.value))
          file[field] = h.value.toLowerCase();
      }
      entities.push(file);
    }
    if (ev.src_endpoint?.ip) entities.push({ kind: 'ip', address: ev.src_endpoint.ip });
    if (ev.dst_endpoint?.ip) entities.push({ kind: 'ip', address: ev.dst_endpoint.ip });
    if (ev.dst_endpoint?.domain) entities.push({ kind: 'domain', name: ev.dst_endpoint.domain });
    if (ev.url?.url_string) entities.push({ kind: 'url', url: ev.url.url_string });
    for (const to of ev.email?.to ?? []) entities.push({ kind: 'mailbox', address: to });
  }
  const techniques = (f.finding_info.attacks ?? [])
    .map((a) => a.technique?.uid)
    .filter((t): t is string => typeof t === 'string' && /^T[0-9]{4}(\.[0-9]{3})?$/.test(t));
  const first = f.finding_info.first_seen_time ?? f.time;
  const last = f.finding_info.last_seen_time ?? f.time;
  return {
    id: f.finding_info.uid,
    title: f.finding_info.title,
    ...(f.finding_info.desc && { description: f.finding_info.desc }),
    severity: SEVERITY_BY_ID[f.severity_id] ?? 'informational',
    category: f.finding_info.types?.[0] ?? f.finding_info.attacks?.[0]?.tactic?.name ?? 'Detection',
    detectionSource: f.metadata.product.name,
    mitreTechniques: [...new Set(techniques)],
    firstActivityAt: new Date(first).toISOString(),
    lastActivityAt: new Date(Math.max(first, last)).toISOString(),
    entities,
  };
}
