import { SYSTEM_PRINCIPAL } from '@quell/core';
import type { Services } from '../services/services.js';
import { demoActions, demoAlerts } from './demo-data.js';

/**
 * Fills an empty instance with the demo story: alerts (correlated into incidents), a device group,
 * and actions, some waiting for approval. Does nothing when incidents already exist.
 */
export async function seedDemo(s: Services): Promise<boolean> {
  const existing = await s.incidents.list({ limit: 1 });
  if (existing.items.length > 0) return false;
  const groups = await s.deviceGroups.list();
  if (!groups.some((g) => g.name === 'Finance servers')) {
    await s.deviceGroups.create(SYSTEM_PRINCIPAL, {
      name: 'Finance servers',
      description: 'File servers holding finance data: every automated remediation needs approval.',
      rank: 10,
      rule: { tags: ['finance'] },
      automationLevel: 'semi_all_folders',
    });
  }
  const ingested = await s.ingest.ingest(SYSTEM_PRINCIPAL, demoAlerts(new Date(s.ctx.clock.now())));
  const incidentOf = new Map(demoAlerts(new Date(0)).map((a, i) => [a.id, ingested.results[i]?.incidentId]));
  for (const [i, { forAlert, ...req }] of demoActions().entries()) {
    const incidentId = incidentOf.get(forAlert);
    // Mostly proposed by automated investigation, so the Action Center shows work waiting for
    // approval (device groups requiring approval) next to actions already queued.
    const source = i === demoActions().length - 1 ? 'manual' : 'automated_investigation';
    await s.actions.request(SYSTEM_PRINCIPAL, { ...req, source, ...(incidentId && { incidentId }) });
  }
  return true;
}
