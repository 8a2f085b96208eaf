import type { CommandMessage } from '@quell/contracts';
import { actionDefinition, type ActionType } from '@quell/core';
import type { Store } from '@quell/store';
import type { Clock } from '../../ports.js';
import type { CommandSigner } from './command-signer.js';

/** The parts of an action a command is made of, whether read from a row or an API view. */
export interface CommandSource {
  id: string;
  type: string;
  params: Record<string, unknown>;
  /** ms since the epoch: the agent refuses the command after it. */
  expiresAt: number;
}

/**
 * Builds signed commands. Parameters go as stored (defaults filled in at request time), plus what
 * the agent needs from the server: for scans, the YARA rules as they are *now*, so a rule added
 * while a scan waited for an offline device is used.
 */
export class CommandFactory {
  /**
   * YARA rules read for scan commands, kept for {@link RULES_TTL_MS}: a fan-out builds thousands
   * of scan commands in a second and they all carry the same rules.
   */
  private rules: { at: number; list: Promise<Array<{ name: string; source: string }>> } | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly signer: CommandSigner,
  ) {}

  async build(source: CommandSource, deviceId: string): Promise<CommandMessage> {
    const params: Record<string, unknown> = { ...source.params };
    if (source.type === 'run_av_scan') {
      params.yaraRules = await this.yaraRules();
    }
    return this.signer.sign({
      actionId: source.id,
      deviceId,
      type: source.type as ActionType,
      params,
      issuedAt: this.clock.now(),
      expiresAt: source.expiresAt,
      timeoutMs: actionDefinition(source.type).timeoutMs,
    });
  }

  /** Stops the signer's thread. */
  close(): Promise<void> {
    return this.signer.close();
  }

  private yaraRules(): Promise<Array<{ name: string; source: string }>> {
    const now = Date.now();
    if (!this.rules || now - this.rules.at > RULES_TTL_MS) {
      const list = this.store.yara
        .list()
        .then((rows) => rows.map((r) => ({ name: r.name, source: r.source })));
      // A failed read is not kept: the next command tries again.
      list.catch(() => (this.rules = null));
      this.rules = { at: now, list };
    }
    return this.rules.list;
  }
}

/** How long scan commands reuse the YARA rules they read (a rule saved since is in the next second's scans). */
const RULES_TTL_MS = 1000;
