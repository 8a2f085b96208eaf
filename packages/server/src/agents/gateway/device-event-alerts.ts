import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type {
  AlertInput,
  DeviceEvent,
  EntityInput,
  ExecDeniedEvent,
  ExecControlFailedOpenEvent,
  RemediatedEvent,
} from '@quell/contracts';
import type { Severity } from '@quell/core';
import type { AgentIdentity } from './agent-results.js';
import { AGENT_DETECTION_SOURCE } from './detection-alerts.js';

/** What the alert of a denial or remediation says about the indicator that matched. */
export interface IndicatorFacts {
  title: string;
  severity: Severity;
  /** False: the indicator asks for no alert (the event is still applied). */
  generateAlert: boolean;
}

/** Windows and defaults of event alerts. */
export interface EventAlertOptions {
  /** Repeats of one denial (device, file) within this window are one alert. Default 1 hour. */
  dedupWindowMs: number;
}

const ATTACK_EXECUTION = 'T1204';
const ATTACK_IMPAIR_DEFENSES = 'T1562.001';

/** Stable 16-hex key of a path, for alert ids of denials whose file has no hash. */
function pathKey(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 16);
}

function fileEntity(path: string, sha256: string | null): EntityInput {
  const name = basename(path).slice(0, 255);
  return { kind: 'file', ...(name && { name }), path, ...(sha256 && { sha256 }) };
}

function deviceEntity(who: AgentIdentity): EntityInput {
  return { kind: 'device', hostname: who.hostname, deviceId: who.deviceId };
}

/**
 * The alert of an event, or null for events that raise none (file observations, denials whose
 * indicator asks for no alert). Alert ids are the dedup: a denial's id names the device, the file
 * and the window it fell in, so a loop of thousands of denials is one alert per window, and a
 * re-sent batch adds nothing. `indicator` is the matched indicator, when the event names one.
 */
export function eventAlert(
  who: AgentIdentity,
  e: DeviceEvent,
  indicator: IndicatorFacts | null,
  opts: EventAlertOptions,
): AlertInput | null {
  switch (e.kind) {
    case 'exec_denied':
      return deniedAlert(who, e, indicator, opts);
    case 'exec_control_failed_open':
      return failedOpenAlert(who, e, opts);
    case 'remediated':
      return remediatedAlert(who, e, indicator);
    case 'file_observed':
      return null;
  }
}

function deniedAlert(
  who: AgentIdentity,
  e: ExecDeniedEvent,
  indicator: IndicatorFacts | null,
  opts: EventAlertOptions,
): AlertInput | null {
  const byIndicator = e.reason === 'blocked_indicator';
  if (byIndicator && indicator && !indicator.generateAlert) return null;
  const window = Math.floor(e.at / opts.dedupWindowMs);
  const name = basename(e.path);
  const hash = e.sha256 ? `SHA-256 ${e.sha256}` : 'hash unknown';
  const why = byIndicator
    ? `it matches the block indicator ${indicator ? `"${indicator.title}" ` : ''}(${e.indicatorId ?? 'id not reported'})`
    : 'app execution is restricted on this device and the file is not trusted';
  return {
    id: `${AGENT_DETECTION_SOURCE}:exec_denied:${who.deviceId}:${e.sha256 ?? pathKey(e.path)}:${window}`,
    title: (byIndicator ? `Blocked execution of ${name} (indicator)` : `Blocked execution of ${name}`).slice(
      0,
      500,
    ),
    description:
      `The agent on ${who.hostname} denied the execution of ${e.path} (${hash}, pid ${e.pid}) because ${why}. ` +
      `Further denials of this file on this device within ${Math.round(opts.dedupWindowMs / 60_000)} minutes are folded into this alert.`,
    severity: byIndicator ? (indicator?.severity ?? 'medium') : 'medium',
    category: byIndicator ? 'Malware' : 'SuspiciousActivity',
    detectionSource: AGENT_DETECTION_SOURCE,
    mitreTechniques: [ATTACK_EXECUTION],
    firstActivityAt: new Date(e.at).toISOString(),
    entities: [deviceEntity(who), fileEntity(e.path, e.sha256)],
  };
}

function failedOpenAlert(
  who: AgentIdentity,
  e: ExecControlFailedOpenEvent,
  opts: EventAlertOptions,
): AlertInput {
  const window = Math.floor(e.at / opts.dedupWindowMs);
  return {
    id: `${AGENT_DETECTION_SOURCE}:exec_failed_open:${who.deviceId}:${window}`,
    title: `Execution control failed open on ${who.hostname}`.slice(0, 500),
    description:
      `The exec-control helper on ${who.hostname} stopped (${e.error || 'no error given'}); until it restarts, ` +
      'restricted execution and hash indicators are not enforced there. Check the device: someone may have killed it.',
    severity: 'high',
    category: 'DefenseEvasion',
    detectionSource: AGENT_DETECTION_SOURCE,
    mitreTechniques: [ATTACK_IMPAIR_DEFENSES],
    firstActivityAt: new Date(e.at).toISOString(),
    entities: [deviceEntity(who)],
  };
}

function remediatedAlert(
  who: AgentIdentity,
  e: RemediatedEvent,
  indicator: IndicatorFacts | null,
): AlertInput | null {
  if (indicator && !indicator.generateAlert && e.outcome === 'quarantined') return null;
  const name = basename(e.path);
  const what =
    e.outcome === 'quarantined'
      ? `quarantined ${e.path}${e.quarantineId ? ` (vault entry ${e.quarantineId})` : ''}`
      : e.outcome === 'refused'
        ? `refused to remediate ${e.path}${e.error ? `: ${e.error}` : ''}`
        : `failed to remediate ${e.path}${e.error ? `: ${e.error}` : ''}`;
  const title =
    e.outcome === 'quarantined' ? `Remediated ${name}: quarantined` : `Remediation of ${name} ${e.outcome}`;
  return {
    id: `${AGENT_DETECTION_SOURCE}:remediated:${who.deviceId}:${e.sha256}:${e.quarantineId ?? e.at}`,
    title: title.slice(0, 500),
    description:
      `The agent on ${who.hostname} ${what} (SHA-256 ${e.sha256}), as the block-and-remediate indicator ` +
      `${indicator ? `"${indicator.title}" ` : ''}(${e.indicatorId ?? 'id not reported'}) asks.`,
    // A copy left in place is worse than one put away.
    severity: e.outcome === 'quarantined' ? (indicator?.severity ?? 'medium') : 'high',
    category: 'Malware',
    detectionSource: AGENT_DETECTION_SOURCE,
    firstActivityAt: new Date(e.at).toISOString(),
    entities: [deviceEntity(who), fileEntity(e.path, e.sha256)],
  };
}
