import { describe, expect, it } from 'vitest';
import { planCorrelation } from './correlation.js';

const H = 3_600_000;

describe('planCorrelation', () => {
  it('joins the most recently active incident among several that share an entity', () => {
    const plan = planCorrelation(
      [{ alertId: 'a', entityKeys: ['device:x'], at: 10 * H }],
      [
        { incidentId: 'old', entityKeys: ['device:x'], lastActivityAt: 2 * H },
        { incidentId: 'recent', entityKeys: ['device:x'], lastActivityAt: 9 * H },
      ],
      24 * H,
    );
    expect(plan).toEqual({
      decisions: [{ alertId: 'a', kind: 'join', incidentId: 'recent' }],
      newIncidents: 0,
    });
  });

  it('ignores incidents outside the window, in either direction', () => {
    const plan = planCorrelation(
      [{ alertId: 'a', entityKeys: ['ip:1'], at: 100 * H }],
      [
        { incidentId: 'before', entityKeys: ['ip:1'], lastActivityAt: 75 * H },
        { incidentId: 'after', entityKeys: ['ip:1'], lastActivityAt: 125 * H },
      ],
      24 * H,
    );
    expect(plan.decisions[0]).toEqual({ alertId: 'a', kind: 'new', newIncidentRef: 0 });
  });

  it('lets later alerts of a batch join incidents opened earlier in it, through any shared key', () => {
    const plan = planCorrelation(
      [
        { alertId: 'a', entityKeys: ['k1'], at: 0 },
        { alertId: 'b', entityKeys: ['k2'], at: 0 },
        { alertId: 'c', entityKeys: ['k1', 'k3'], at: 1 },
        { alertId: 'd', entityKeys: ['k3'], at: 2 },
      ],
      [],
      H,
    );
    expect(plan.newIncidents).toBe(2);
    expect(plan.decisions.map((d) => (d.kind === 'new' ? d.newIncidentRef : d.incidentId))).toEqual([
      0, 1, 0, 0,
    ]);
  });

  it('opens an incident for an alert with no entities', () => {
    const plan = planCorrelation(
      [{ alertId: 'a', entityKeys: [], at: 0 }],
      [{ incidentId: 'i', entityKeys: ['x'], lastActivityAt: 0 }],
      H,
    );
    expect(plan.newIncidents).toBe(1);
  });
});
