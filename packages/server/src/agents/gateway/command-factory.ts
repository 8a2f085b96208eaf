import type { KeyObject } from 'node:crypto';
import type { CommandMessage } from '@quell/contracts';
import { actionDefinition, type ActionType } from '@quell/core';
import type { Store } from '@quell/store';
import type { Clock } from '../../ports.js';
import { signCommand } from './command-signer.js';

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
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly signingKey: KeyObject,
  ) {}

  async build(source: CommandSource, deviceId: string): Promise<CommandMessage> {
    const params: Record<string, unknown> = { ...source.params };
    if (source.type === 'run_av_scan') {
      const rules = await this.store.yara.list();
      params.yaraRules = rules.map((r) => ({ name: r.name, source: r.source }));
    }
    return signCommand(
      {
        actionId: source.id,
        deviceId,
        type: source.type as ActionType,
        params,
        issuedAt: this.clock.now(),
        expiresAt: source.expiresAt,
        timeoutMs: actionDefinition(source.type).timeoutMs,
      },
      this.signingKey,
    );
  }
}
