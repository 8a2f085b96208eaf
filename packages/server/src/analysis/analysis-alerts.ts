import type { AlertInput, EntityInput } from '@quell/contracts';
import type { Severity } from '@quell/core';
import type { BehaviourId, SandboxReport } from '../sandbox/index.js';
import type { IndicatorMatcher, MatchedObservable } from './indicator-matcher.js';

/** Shown as the alerts' detection source. */
export const ANALYSIS_DETECTION_SOURCE = 'quell-deep-analysis';

/** What the alerts are about: the analysis and its sample. */
export interface AnalysedSample {
  analysisId: string;
  sha256: string;
  name: string;
  /** When the detonation ran, epoch ms: the alerts' activity time. */
  at: number;
}

interface Observable {
  type: MatchedObservable;
  value: string;
  /** Evidence beside the sample's file entity. */
  entity: EntityInput | null;
  /** Said in the alert title. */
  what: string;
  /** Behaviours whose ATT&CK technique the alert carries, when present in the report. */
  behaviours: readonly BehaviourId[];
}

const NETWORK_BEHAVIOURS: readonly BehaviourId[] = ['network_app_protocol', 'network_non_app_protocol'];

/** Every observable of a report an indicator may cover, each once. */
export function observablesOf(sample: AnalysedSample, report: SandboxReport): Observable[] {
  const out = new Map<string, Observable>();
  const add = (o: Observable) => {
    const key = `${o.type}:${o.value}`;
    if (!out.has(key)) out.set(key, o);
  };
  add({
    type: 'sha256',
    value: sample.sha256,
    entity: null,
    what: `the sample ${sample.name}`,
    behaviours: [],
  });
  for (const f of report.files) {
    if (!f.sha256 || f.change === 'deleted') continue;
    // A file the sample dropped is evidence of the behaviour that wrote it (a cron file, say).
    const behaviours = report.behaviours
      .filter((b) => b.evidence.some((e) => e.includes(f.path)))
      .map((b) => b.id);
    add({
      type: 'sha256',
      value: f.sha256,
      entity: { kind: 'file', name: baseName(f.path), path: f.path, sha256: f.sha256 },
      what: `the dropped file ${f.path}`,
      behaviours,
    });
  }
  for (const n of report.network) {
    add({
      type: n.family,
      value: n.address,
      entity: { kind: 'ip', address: n.address },
      what: `a connection attempt to ${n.address}:${n.port}`,
      behaviours: NETWORK_BEHAVIOURS,
    });
  }
  for (const d of report.dns) {
    const name = d.name.toLowerCase().replace(/\.$/, '');
    if (!name) continue;
    add({
      type: 'domain',
      value: name,
      entity: { kind: 'domain', name },
      what: `a DNS lookup of ${name}`,
      behaviours: ['dns_lookup'],
    });
  }
  return [...out.values()];
}

/**
 * Alerts for a finished analysis: one per observable an indicator covers, and one when the verdict
 * is malicious. Each carries a stable id (`analysis:<id>:…`), so a retried execution raises
 * nothing twice.
 */
export async function analysisAlerts(
  sample: AnalysedSample,
  report: SandboxReport,
  matcher: IndicatorMatcher,
): Promise<AlertInput[]> {
  const sampleEntity: EntityInput = {
    kind: 'file',
    name: sample.name,
    sha256: sample.sha256,
    size: report.sample.size,
  };
  const firstActivityAt = new Date(sample.at).toISOString();
  const alerts: AlertInput[] = [];
  for (const o of observablesOf(sample, report)) {
    const m = await matcher.match(o.type, o.value);
    if (!m) continue;
    const techniques = techniquesOf(report, o.behaviours);
    alerts.push({
      id: `analysis:${sample.analysisId}:ioc:${o.type}:${o.value}`.slice(0, 200),
      title: `Deep analysis: ${o.what} matches indicator "${m.title}"`.slice(0, 500),
      description:
        `Deep analysis ${sample.analysisId} of ${sample.name} (${sample.sha256}) saw ${o.what}, ` +
        `covered by indicator ${m.indicatorId} (${m.title}, action ${m.action}).`,
      severity: m.severity,
      category: o.type === 'sha256' ? 'Malware' : 'CommandAndControl',
      detectionSource: ANALYSIS_DETECTION_SOURCE,
      ...(techniques.length && { mitreTechniques: techniques }),
      firstActivityAt,
      entities: o.entity ? [sampleEntity, o.entity] : [sampleEntity],
    });
  }
  if (report.verdict === 'malicious') {
    const techniques = techniquesOf(
      report,
      report.behaviours.map((b) => b.id),
    );
    alerts.push({
      id: `analysis:${sample.analysisId}:verdict`,
      title: `Deep analysis: ${sample.name} is malicious (score ${report.score})`.slice(0, 500),
      description:
        `Deep analysis ${sample.analysisId} found: ` +
        report.behaviours.map((b) => `${b.title} (${b.techniqueId})`).join('; '),
      severity: severityOfScore(report.score),
      category: 'Malware',
      detectionSource: ANALYSIS_DETECTION_SOURCE,
      ...(techniques.length && { mitreTechniques: techniques }),
      firstActivityAt,
      entities: [sampleEntity],
    });
  }
  return alerts;
}

/**
 * A malicious verdict starts at score 70: up to 89 it is a medium alert (one strong behaviour and
 * a weaker one), from 90 a high one (several strong behaviours together).
 */
export function severityOfScore(score: number): Severity {
  if (score >= 90) return 'high';
  if (score >= 70) return 'medium';
  if (score >= 25) return 'low';
  return 'informational';
}

function techniquesOf(report: SandboxReport, ids: readonly BehaviourId[]): string[] {
  const wanted = new Set(ids);
  return [...new Set(report.behaviours.filter((b) => wanted.has(b.id)).map((b) => b.techniqueId))].slice(
    0,
    50,
  );
}

function baseName(path: string): string {
  return path.split('/').filter(Boolean).pop()?.slice(0, 255) ?? path.slice(0, 255);
}
