import type { Action } from '@quell/contracts';
import type { ActionType } from '@quell/core';
import type { Tx } from '@quell/store';
import { BaseExecutor, TargetUnavailableError } from './executor.js';

/** Device and file actions the Linux agent carries out (issues 3 and 4). Live response comes later. */
export const AGENT_ACTION_TYPES = [
  'isolate_device',
  'release_device',
  'restrict_app_execution',
  'remove_app_restriction',
  'run_av_scan',
  'collect_investigation_package',
  'stop_and_quarantine_file',
  'restore_quarantined_file',
  'collect_file',
] as const satisfies readonly ActionType[];

/**
 * The device an agent action runs on: the target itself for device actions, the device holding
 * the file for file actions (`target.deviceHostname`).
 */
export function agentDeviceOf(target: Action['target']): string {
  return target.kind === 'file' ? (target.deviceHostname ?? target.id) : target.id;
}

/** How an agent answered a command it will carry out (or already did). */
export type AgentAcceptance = 'accepted' | 'duplicate';

/**
 * The way to the agents, as the executor sees it; the agent gateway implements it. Kept narrow so
 * the engine knows nothing of sockets or signatures.
 */
export interface AgentChannel {
  /** Whether the device named by a target id (device id or hostname) has a live connection here. */
  isConnected(deviceRef: string): boolean;
  /**
   * Sends the signed command for `action` and resolves when the agent acknowledges it.
   * Rejects with {@link TargetUnavailableError} when the device is not connected (or drops before
   * answering), with a TransientExecutorError when no ack comes in time, and with a plain error
   * when the agent refuses the command.
   */
  deliver(action: Action, signal: AbortSignal): Promise<AgentAcceptance>;
  /** Of these device refs (ids or hostnames), those whose agent is connected to another server instance. */
  connectedElsewhere(trx: Tx, deviceRefs: readonly string[]): Promise<ReadonlySet<string>>;
}

/**
 * Carries device actions out through agents. Asynchronous by nature: an agent may answer minutes
 * later or after a server restart, so this executor's work ends at the agent's ack (`deferred`)
 * and the gateway applies the result when it comes.
 */
export class AgentExecutor extends BaseExecutor {
  readonly kind = 'agent' as const;
  readonly name = 'agent';
  readonly completion = 'deferred' as const;
  /** The gateway applies each ack (dispatched → running) in its own batches. */
  readonly recordsAcceptance = true;
  protected readonly types = AGENT_ACTION_TYPES;

  constructor(private readonly channel: AgentChannel) {
    super();
  }

  unavailable(action: Action): string | null {
    if (this.channel.isConnected(agentDeviceOf(action.target))) return null;
    return offlineMessage(action);
  }

  async servedElsewhere(trx: Tx, actions: readonly Action[]): Promise<ReadonlyMap<string, string>> {
    const refs = [...new Set(actions.map((a) => agentDeviceOf(a.target)))];
    const elsewhere = await this.channel.connectedElsewhere(trx, refs);
    const out = new Map<string, string>();
    for (const a of actions) {
      const ref = agentDeviceOf(a.target);
      if (elsewhere.has(ref))
        out.set(a.id, `device ${ref} is connected to another server instance, which carries the action out`);
    }
    return out;
  }

  protected async run(action: Action, signal: AbortSignal): Promise<Record<string, unknown>> {
    if (!this.channel.isConnected(agentDeviceOf(action.target)))
      throw new TargetUnavailableError(offlineMessage(action));
    const acceptance = await this.channel.deliver(action, signal);
    return { acceptance };
  }
}

/** Says what happens next, so nobody takes a waiting action for a stuck one. */
export function offlineMessage(action: Action): string {
  return `device ${agentDeviceOf(action.target)} is offline; the action waits until its agent connects or until it expires at ${action.expiresAt}`;
}
