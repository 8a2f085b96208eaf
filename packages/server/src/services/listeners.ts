import type { Logger } from 'pino';

/**
 * Callbacks a service calls after a change has committed (the agent gateway reacting to a
 * revocation or a regroup). A failing listener is logged, never thrown: the change stands.
 */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();

  constructor(
    private readonly log: Logger,
    /** Says what failed in the log line. */
    private readonly what: string,
  ) {}

  /** Adds a listener; the function returned removes it. */
  add(listener: (...args: A) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(...args: A): void {
    for (const listener of this.set) {
      try {
        listener(...args);
      } catch (e) {
        this.log.error({ err: e, args }, `${this.what} listener failed`);
      }
    }
  }
}
