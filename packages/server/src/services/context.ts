import type { Logger } from 'pino';
import type { Principal } from '@quell/core';
import type { Store, Tx } from '@quell/store';
import type { Clock, Ids } from '../ports.js';

/** What every service gets: storage and the injected ports. Nothing else is shared. */
export interface ServiceContext {
  store: Store;
  clock: Clock;
  ids: Ids;
  log: Logger;
}

/** Appends one audit entry inside the caller's transaction. */
export async function audit(
  ctx: ServiceContext,
  trx: Tx,
  actor: Principal | string,
  event: string,
  subject: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  await ctx.store.audit.append(trx, [
    {
      at: ctx.clock.now(),
      actor: typeof actor === 'string' ? actor : actorName(actor),
      event,
      subject,
      data,
    },
  ]);
}

/** How a principal appears in logs, the Action Center and the audit log. */
export function actorName(p: Principal): string {
  return p.kind === 'token' ? `token:${p.name}` : p.name;
}
