import type { INDICATOR_ROUTES } from '@quell/contracts';
import type { Services } from '../services/services.js';
import { who, type Handlers } from './handler-types.js';

/** Handlers of the indicator routes (thin: one service call each). */
export function indicatorHandlers(s: Services): Pick<Handlers, keyof typeof INDICATOR_ROUTES> {
  const i = s.indicators;
  const stamp = () => new Date(s.ctx.clock.now()).toISOString().slice(0, 10);
  return {
    listIndicators: ({ query }) => i.list(query),
    createIndicator: (c) => i.create(who(c).principal, c.body),
    importIndicators: (c) => i.importFile(who(c).principal, c.body),
    exportIndicatorsCsv: async ({ query, reply }) => {
      const csv = await i.exportCsv(query);
      void reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="quell-indicators-${stamp()}.csv"`);
      return csv;
    },
    exportIndicatorsStix: async ({ query, reply }) => {
      const bundle = await i.exportStix(query);
      void reply.header(
        'content-disposition',
        `attachment; filename="quell-indicators-${stamp()}.stix.json"`,
      );
      return bundle as unknown as Awaited<ReturnType<Handlers['exportIndicatorsStix']>>;
    },
    listTaxiiFeeds: async () => ({ items: await i.listFeeds() }),
    createTaxiiFeed: (c) => i.createFeed(who(c).principal, c.body),
    patchTaxiiFeed: (c) => i.patchFeed(who(c).principal, c.params.id, c.body),
    deleteTaxiiFeed: async (c) => {
      await i.deleteFeed(who(c).principal, c.params.id);
      return { ok: true as const };
    },
    pullTaxiiFeed: (c) => i.pullFeed(c.params.id, who(c).principal),
    getIndicator: ({ params }) => i.get(params.id),
    patchIndicator: (c) => i.update(who(c).principal, c.params.id, c.body),
    deleteIndicator: (c) => i.remove(who(c).principal, c.params.id, c.query.comment),
  };
}
