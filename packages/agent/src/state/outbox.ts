import { join } from 'node:path';
import type { ResultMessage } from '@quell/contracts/agent';
import { ActionFiles } from './action-files.js';

/**
 * Results the server has not acknowledged yet. A result enters before it is sent and leaves
 * only on `result_ack`, so it survives disconnects, agent restarts and server restarts; after
 * each (re)connect the whole outbox is sent again (the server dedupes by action id).
 */
export class Outbox {
  private readonly files: ActionFiles<ResultMessage>;

  constructor(stateDir: string) {
    this.files = new ActionFiles(join(stateDir, 'outbox'));
  }

  add(result: ResultMessage): Promise<void> {
    return this.files.write(result.actionId, result);
  }

  ack(actionId: string): Promise<void> {
    return this.files.remove(actionId);
  }

  /** Pending results, oldest first. */
  async pending(): Promise<ResultMessage[]> {
    const out: ResultMessage[] = [];
    for (const id of await this.files.ids()) {
      const r = await this.files.read(id).catch(() => null);
      if (r) out.push(r);
    }
    return out.sort((a, b) => a.finishedAt - b.finishedAt);
  }
}
