import { join } from 'node:path';
import { ActionFiles } from '../state/action-files.js';
import type { AgentEvent } from './agent-events.js';

/**
 * Security events (denials, a helper failing open, remediations) the server has not acknowledged
 * yet, one small file each under `<stateDir>/events-outbox`, like the result outbox: an event
 * enters before it is sent and leaves on `events_ack`, so it survives disconnects and agent
 * restarts. File observations are not kept here: the observer reports them again.
 */
export class EventOutbox {
  private readonly files: ActionFiles<{ id: string; event: AgentEvent }>;

  constructor(stateDir: string) {
    this.files = new ActionFiles(join(stateDir, 'events-outbox'));
  }

  add(id: string, event: AgentEvent): Promise<void> {
    return this.files.write(id, { id, event });
  }

  remove(id: string): Promise<void> {
    return this.files.remove(id);
  }

  /** Pending events, oldest first. An unreadable file is dropped (it can never be sent). */
  async pending(): Promise<Array<{ id: string; event: AgentEvent }>> {
    const out: Array<{ id: string; event: AgentEvent }> = [];
    for (const id of await this.files.ids()) {
      const r = await this.files.read(id).catch(() => null);
      if (r?.event) out.push({ id, event: r.event });
      else await this.files.remove(id).catch(() => undefined);
    }
    return out.sort((a, b) => a.event.at - b.event.at || a.id.localeCompare(b.id));
  }
}
