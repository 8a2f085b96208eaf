import { ACTION_SOURCES, ACTION_TYPES, PENDING_STATUSES, actionDefinition } from '@quell/core';
import { createRandom } from './prng.mjs';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** How often each action type is asked for; types absent here get weight 1. */
const TYPE_WEIGHTS = {
  run_av_scan: 22,
  isolate_device: 10,
  release_device: 7,
  collect_investigation_package: 9,
  stop_and_quarantine_file: 12,
  add_indicator: 8,
  disable_user: 5,
  revoke_sessions: 5,
  reset_password: 4,
  start_automated_investigation: 6,
  soft_delete_email: 4,
  disable_inbox_rule: 3,
  notify_webhook: 3,
};
const HISTORY_WEIGHTS = [
  ['succeeded', 78],
  ['failed', 7],
  ['cancelled', 3],
  ['expired', 2],
  ['rejected', 3],
  ['timed_out', 1],
  ['undone', 6],
];
const PENDING_WEIGHTS = [
  ['pending_approval', 40],
  ['approved', 5],
  ['queued', 30],
  ['dispatched', 15],
  ['running', 10],
];
const SOURCE_WEIGHTS = [
  ['manual', 45],
  ['automated_investigation', 30],
  ['attack_disruption', 8],
  ['playbook', 14],
  ['live_response', 3],
];

/** The fixed populations the actions are about, shared with the queries so filters hit. */
export function createActionWorld(seed) {
  const rnd = createRandom(seed);
  const world = {
    devices: Array.from(
      { length: 2000 },
      (_, i) => `${i % 7 === 0 ? 'srv' : 'ws'}-${String(i + 1).padStart(4, '0')}.corp.example`,
    ),
    users: Array.from({ length: 5000 }, (_, i) => `user${String(i + 1).padStart(4, '0')}`),
    analysts: Array.from({ length: 40 }, (_, i) => `analyst${String(i + 1).padStart(2, '0')}@corp.example`),
    playbooks: [
      'playbook:ransomware-containment',
      'playbook:phishing-cleanup',
      'playbook:credential-theft',
      'playbook:miner',
    ],
    files: Array.from({ length: 20_000 }, () => rnd.hex(64)),
    incidents: Array.from({ length: 60_000 }, (_, i) => `inc_bench${String(i).padStart(6, '0')}`),
    types: ACTION_TYPES,
    typeWeights: ACTION_TYPES.map((t) => [t, TYPE_WEIGHTS[t] ?? 1]),
  };
  return world;
}

/** Parameters that satisfy the type's schema: enum values, defaults, and a comment sometimes. */
function paramsFor(rnd, def) {
  const out = {};
  const props = def.params.properties ?? {};
  const required = new Set(def.params.required ?? []);
  for (const [name, schema] of Object.entries(props)) {
    if (name === 'comment') {
      if (rnd.chance(0.3)) out.comment = 'Requested from the incident page';
      continue;
    }
    if (!required.has(name) && !rnd.chance(0.5)) continue;
    if (Array.isArray(schema.enum)) out[name] = rnd.pick(schema.enum);
    else if (schema.default !== undefined) out[name] = schema.default;
    else if (schema.type === 'string')
      out[name] = name === 'value' ? rnd.hex(16) : `${name}-${rnd.int(1, 99)}`;
    else if (schema.type === 'integer' || schema.type === 'number') out[name] = rnd.int(1, 60);
    else if (schema.type === 'boolean') out[name] = rnd.chance(0.5);
    else if (schema.type === 'array') out[name] = [];
  }
  return out;
}

/**
 * Yields `count` realistic action rows in creation order, spread over the `spanMs` before `now`.
 * Old actions are all finished (history); only the last 7 days hold pending ones.
 */
export function* actionRows(seed, world, count, now, spanMs = 182 * DAY) {
  const rnd = createRandom(seed);
  const gap = spanMs / count;
  let t = now - spanMs;
  let counter = 0;
  for (let n = 0; n < count; n++) {
    t += rnd.exp(gap);
    if (t > now - 1000) t = now - 1000;
    const created = Math.floor(t);
    const type = rnd.weighted(world.typeWeights);
    const def = actionDefinition(type);
    const source = rnd.weighted(SOURCE_WEIGHTS);
    const recent = created > now - 7 * DAY;
    let status = recent && rnd.chance(0.25) ? rnd.weighted(PENDING_WEIGHTS) : rnd.weighted(HISTORY_WEIGHTS);
    // Only reversible actions can be undone.
    if (status === 'undone' && !def.reversible) status = 'succeeded';
    const device = rnd.pick(world.devices);
    let target;
    switch (def.targetKind) {
      case 'device':
        target = { kind: 'device', id: device };
        break;
      case 'file':
        target = {
          kind: 'file',
          id: rnd.pick(world.files),
          label: `payload${rnd.int(1, 999)}.elf`,
          deviceHostname: device,
        };
        break;
      case 'identity':
        target = { kind: 'identity', id: rnd.pick(world.users) };
        break;
      case 'mailbox':
        target = { kind: 'mailbox', id: `${rnd.pick(world.users)}@corp.example` };
        break;
      case 'indicator':
        target = {
          kind: 'indicator',
          id: rnd.chance(0.5)
            ? rnd.pick(world.files)
            : `${rnd.int(11, 223)}.${rnd.int(0, 255)}.${rnd.int(0, 255)}.${rnd.int(1, 254)}`,
        };
        break;
      case 'incident':
        target = { kind: 'incident', id: rnd.pick(world.incidents) };
        break;
      default:
        target = { kind: 'none', id: 'webhook:soc-channel' };
    }
    const requestedBy =
      source === 'manual' || source === 'live_response'
        ? rnd.pick(world.analysts)
        : source === 'playbook'
          ? rnd.pick(world.playbooks)
          : source === 'automated_investigation'
            ? 'Automated investigation'
            : 'Attack disruption';
    const needsApproval =
      status === 'pending_approval' || status === 'rejected' || status === 'timed_out' || rnd.chance(0.25);
    const decided = needsApproval && status !== 'pending_approval' && status !== 'timed_out';
    const finished = !PENDING_STATUSES.includes(status);
    const updated = created + (finished ? rnd.int(2_000, 6 * HOUR) : rnd.int(0, 60_000));
    counter = (counter + 1) % 1_679_616;
    yield {
      id: `action_${created.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${rnd.hex(10)}`,
      type,
      status,
      source,
      target_kind: target.kind,
      target_id: target.id,
      target: JSON.stringify(target),
      device_group_id:
        def.targetKind === 'device' || def.targetKind === 'file'
          ? rnd.pick(['ungrouped', 'dg_servers', 'dg_workstations'])
          : null,
      params: JSON.stringify(paramsFor(rnd, def)),
      result:
        status === 'succeeded'
          ? JSON.stringify({ verified: true })
          : status === 'failed'
            ? JSON.stringify({ exitCode: 1 })
            : null,
      error:
        status === 'failed'
          ? rnd.pick(['Agent unreachable', 'Executor timed out', 'Target not found'])
          : null,
      requested_by: requestedBy,
      requested_by_id: requestedBy.startsWith('analyst') ? `usr_${requestedBy.slice(7, 9)}` : 'system',
      request_comment: rnd.chance(0.2) ? 'Containment while we investigate' : null,
      approval_reason: needsApproval
        ? rnd.pick(['Destructive action', 'Automation level requires approval', 'Approval rule'])
        : 'Not required',
      decided_by: decided ? rnd.pick(world.analysts) : null,
      decision_comment: decided && rnd.chance(0.3) ? 'Confirmed with the device owner' : null,
      incident_id: rnd.chance(0.75) ? rnd.pick(world.incidents) : null,
      alert_id: rnd.chance(0.4) ? `al_bench${rnd.hex(12)}` : null,
      investigation_id: source === 'automated_investigation' ? `inv_bench${rnd.hex(10)}` : null,
      undo_of: null,
      undone_by: status === 'undone' ? `action_undo${rnd.hex(12)}` : null,
      attempts: finished ? rnd.int(1, 2) : 0,
      next_attempt_at: status === 'queued' ? created : null,
      claimed_by: status === 'dispatched' || status === 'running' ? 'local' : null,
      claimed_until: status === 'dispatched' || status === 'running' ? created + HOUR : null,
      approval_expires_at: status === 'pending_approval' ? created + 7 * DAY : null,
      expires_at: created + 7 * DAY,
      created_at: created,
      updated_at: updated,
      version: finished ? rnd.int(3, 6) : rnd.int(1, 3),
    };
  }
}

export const SOURCES = ACTION_SOURCES;
