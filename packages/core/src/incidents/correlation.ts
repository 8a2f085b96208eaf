/**
 * Correlation: an alert joins an open incident that shares an entity with it and was active within
 * the window; otherwise it opens a new incident. Pure: the store supplies candidates, the caller
 * applies the plan. Works on a batch so ingestion can look candidates up once per batch.
 */
export interface CorrelationCandidate {
  incidentId: string;
  /** Entity keys the incident already holds. */
  entityKeys: readonly string[];
  /** When an alert last joined it (ms since epoch). */
  lastActivityAt: number;
}

export interface CorrelationInput {
  alertId: string;
  entityKeys: readonly string[];
  /** When the alert happened (ms since epoch). */
  at: number;
}

export type CorrelationDecision =
  | { alertId: string; kind: 'join'; incidentId: string }
  | { alertId: string; kind: 'new'; newIncidentRef: number };

export interface CorrelationPlan {
  decisions: CorrelationDecision[];
  /** How many new incidents to create; decisions name them 0..n-1. */
  newIncidents: number;
}

/**
 * Plans where each alert goes, in order. Alerts later in the batch can join incidents opened by
 * earlier ones. Among several matching incidents the most recently active wins.
 */
export function planCorrelation(
  alerts: readonly CorrelationInput[],
  candidates: readonly CorrelationCandidate[],
  windowMs: number,
): CorrelationPlan {
  type Target = { ref: string; lastActivityAt: number };
  const byKey = new Map<string, Target[]>();
  const index = (key: string, t: Target) => {
    const list = byKey.get(key);
    if (list) {
      if (!list.includes(t)) list.push(t);
    } else byKey.set(key, [t]);
  };
  for (const c of candidates) {
    const t: Target = { ref: `i:${c.incidentId}`, lastActivityAt: c.lastActivityAt };
    for (const k of c.entityKeys) index(k, t);
  }

  const decisions: CorrelationDecision[] = [];
  let newIncidents = 0;
  for (const a of alerts) {
    let best: Target | undefined;
    for (const k of a.entityKeys) {
      for (const t of byKey.get(k) ?? []) {
        if (Math.abs(a.at - t.lastActivityAt) > windowMs) continue;
        if (!best || t.lastActivityAt > best.lastActivityAt) best = t;
      }
    }
    let target: Target;
    if (best) {
      target = best;
      decisions.push(
        best.ref.startsWith('i:')
          ? { alertId: a.alertId, kind: 'join', incidentId: best.ref.slice(2) }
          : { alertId: a.alertId, kind: 'new', newIncidentRef: Number(best.ref.slice(2)) },
      );
      if (a.at > best.lastActivityAt) best.lastActivityAt = a.at;
    } else {
      target = { ref: `n:${newIncidents}`, lastActivityAt: a.at };
      decisions.push({ alertId: a.alertId, kind: 'new', newIncidentRef: newIncidents });
      newIncidents++;
    }
    for (const k of a.entityKeys) index(k, target);
  }
  return { decisions, newIncidents };
}
