import { join } from 'node:path';
import type { ActionType } from '@quell/core';
import type { ResultMessage } from '@quell/contracts/agent';
import { ActionFiles } from './action-files.js';

/** What the agent remembers of an action it accepted. */
export interface ExecutedRecord {
  actionId: string;
  type: ActionType;
  acceptedAt: number;
  /** Null while running, or when the agent died before finishing (see {@link ExecutedStore.interrupted}). */
  result: ResultMessage | null;
}

export interface ExecutedStoreLimits {
  /** Records kept at most (oldest dropped first). Default 5,000. */
  maxEntries: number;
  /** Records older than this are dropped. Default 30 days. */
  maxAgeMs: number;
}

export const EXECUTED_DEFAULTS: ExecutedStoreLimits = { maxEntries: 5_000, maxAgeMs: 30 * 24 * 3600_000 };

/**
 * Executed action ids and their results, on disk, so a command delivered again (the server
 * delivers at least once) is answered `duplicate` with the stored result and never run twice —
 * also across restarts. A record is written when the command is accepted, before it runs, so
 * a crash mid-run cannot lead to a second run either.
 *
 * Bounded: the last `maxEntries` within `maxAgeMs`. The server stops re-delivering an action
 * long before that (its TTL is days), so forgetting older ids is safe.
 */
export class ExecutedStore {
  private readonly files: ActionFiles<ExecutedRecord>;
  private readonly index = new Map<string, number>();
  private writesSincePrune = 0;

  constructor(
    stateDir: string,
    private readonly now: () => number = Date.now,
    private readonly limits: ExecutedStoreLimits = EXECUTED_DEFAULTS,
  ) {
    this.files = new ActionFiles(join(stateDir, 'executed'));
  }

  /** Loads the index and prunes; returns the records the agent died in the middle of. */
  async open(): Promise<ExecutedRecord[]> {
    const interrupted: ExecutedRecord[] = [];
    for (const id of await this.files.ids()) {
      const rec = await this.files.read(id).catch(() => null);
      if (!rec) {
        // A corrupt record would otherwise block nothing but also protect nothing; drop it.
        await this.files.remove(id);
        continue;
      }
      this.index.set(id, rec.acceptedAt);
      if (rec.result === null) interrupted.push(rec);
    }
    await this.prune();
    return interrupted;
  }

  has(actionId: string): boolean {
    return this.index.has(actionId);
  }

  get(actionId: string): Promise<ExecutedRecord | null> {
    return this.index.has(actionId) ? this.files.read(actionId) : Promise.resolve(null);
  }

  /** Records an accepted command (result null) or its result. */
  async put(rec: ExecutedRecord): Promise<void> {
    await this.files.write(rec.actionId, rec);
    this.index.set(rec.actionId, rec.acceptedAt);
    if (++this.writesSincePrune >= 100) await this.prune();
  }

  get size(): number {
    return this.index.size;
  }

  /** Drops records past the age limit, then the oldest beyond the count limit. */
  async prune(running: ReadonlySet<string> = new Set()): Promise<void> {
    this.writesSincePrune = 0;
    const cutoff = this.now() - this.limits.maxAgeMs;
    const byAge = [...this.index.entries()].sort((a, b) => a[1] - b[1]);
    const excess = Math.max(0, byAge.length - this.limits.maxEntries);
    for (const [i, [id, at]] of byAge.entries()) {
      if (running.has(id)) continue;
      if (i < excess || at < cutoff) {
        await this.files.remove(id);
        this.index.delete(id);
      }
    }
  }
}
