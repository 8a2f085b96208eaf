import type { Command } from 'commander';
import { clientFor } from '../api.js';
import { printJson, say, withJson, wantsJson } from '../output.js';

const DEMO_GROUP = 'Finance servers';

export function registerDemo(program: Command): void {
  withJson(
    program
      .command('demo')
      .description(
        'fill the connected instance with demo incidents, a device group and actions, through the API',
      ),
  ).action(async (_o: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    // The demo story lives with the server (one source for `quell up --demo` and this command);
    // loaded on demand since the server package is heavy.
    const { demoAlerts, demoActions } = await import('@quell/server');

    const groups = await client.call('listDeviceGroups');
    let groupCreated = false;
    if (!groups.items.some((g) => g.name === DEMO_GROUP)) {
      await client.call('createDeviceGroup', {
        body: {
          name: DEMO_GROUP,
          description: 'File servers holding finance data: every automated remediation needs approval.',
          rank: 10,
          rule: { tags: ['finance'] },
          automationLevel: 'semi_all_folders',
        },
      });
      groupCreated = true;
    }

    const alerts = demoAlerts(new Date());
    const ingested = await client.call('ingestAlerts', { body: { alerts } });
    const created = ingested.results.filter((r) => r.created).length;
    const incidentOf = new Map(alerts.map((a, i) => [a.id, ingested.results[i]?.incidentId]));

    // Alert ids are fixed, so a second run ingests nothing new; requesting the actions again
    // would only duplicate them.
    const actions = [];
    if (created > 0) {
      for (const { forAlert, ...req } of demoActions()) {
        const incidentId = incidentOf.get(forAlert);
        actions.push(
          await client.call('requestAction', { body: { ...req, ...(incidentId && { incidentId }) } }),
        );
      }
    }

    const incidents = [...new Set(ingested.results.map((r) => r.incidentId))];
    if (wantsJson(cmd))
      return printJson({ alerts: ingested.results, actions, deviceGroupCreated: groupCreated });
    if (created === 0) {
      say('demo data is already there: nothing new ingested');
      return;
    }
    say(
      `demo: ${created} alerts in ${incidents.length} incidents, ${actions.length} actions requested${groupCreated ? `, device group "${DEMO_GROUP}" created` : ''}`,
    );
    say('see them with: quell incidents list; quell actions list --view pending');
  });
}
