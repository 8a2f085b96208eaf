import { IllegalTransitionError } from '../errors.js';
import type { IncidentStatus } from '../vocab/incident.js';

/** Active → In progress → Resolved; a resolved incident can be reopened; Redirected is final. */
export const INCIDENT_TRANSITIONS: Record<IncidentStatus, readonly IncidentStatus[]> = {
  active: ['in_progress', 'resolved', 'redirected'],
  in_progress: ['active', 'resolved', 'redirected'],
  resolved: ['active'],
  redirected: [],
};

export function assertIncidentTransition(id: string, from: IncidentStatus, to: IncidentStatus): void {
  if (INCIDENT_TRANSITIONS[from].includes(to)) return;
  const next = INCIDENT_TRANSITIONS[from];
  throw new IllegalTransitionError(
    `Incident ${id} is ${from} and cannot become ${to}` +
      (next.length ? `; it can become ${next.join(', ')}.` : '; it was merged into another incident.'),
    { id, from, to, allowed: next },
  );
}
