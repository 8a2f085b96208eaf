import type { Services } from '../../services/services.js';
import { AGENT_ACTION_TYPES, AgentExecutor, agentDeviceOf } from '../../engine/agent.executor.js';
import { toAction } from '@quell/store';
import { AgentGateway, type AgentGatewayOptions } from './agent-gateway.js';
import { AgentResults } from './agent-results.js';
import { CommandFactory } from './command-factory.js';
import { InlineCommandSigner, WorkerCommandSigner } from './command-signer.js';
import type { GatewayKeys, UploadSink } from './gateway-ports.js';
import { PresenceWriter } from './presence-writer.js';
import { ProgressWriter } from './progress-writer.js';
import { IndicatorSync } from './indicator-sync.js';
import { DeviceEvents, type DeviceEventsOptions } from './device-events.js';

const AGENT_TYPES: ReadonlySet<string> = new Set(AGENT_ACTION_TYPES);

export interface AgentSupportOptions extends AgentGatewayOptions {
  keys: Pick<GatewayKeys, 'signingPrivateKey'>;
  uploads: UploadSink;
  /** Heartbeat batching period. Default 2000 ms. */
  presenceFlushMs?: number;
  /** Sign commands on a worker thread (QUELL_AGENT_SIGNING_THREAD). Default true. */
  signingThread?: boolean;
  /** Device events: the denial dedup window and the per-device rate (defaults in DeviceEvents). */
  events?: DeviceEventsOptions;
}

/**
 * Plugs agents into the services: the gateway, the agent executor in the executor registry,
 * cancellation of running agent actions and revocation closing sockets. Returns the gateway
 * (not yet started); the listener serves it.
 */
export function attachAgentGateway(services: Services, opts: AgentSupportOptions): AgentGateway {
  const { ctx } = services;
  const { keys, uploads, presenceFlushMs, events, signingThread = true, ...gatewayOpts } = opts;
  const signer = signingThread
    ? new WorkerCommandSigner(keys.signingPrivateKey, (why) =>
        ctx.log.warn({ why }, 'signing commands on the main thread from now on'),
      )
    : new InlineCommandSigner(keys.signingPrivateKey);
  const gateway = new AgentGateway(
    {
      ctx,
      results: new AgentResults(ctx, services.actions, services.ingest, services.incidents),
      commands: new CommandFactory(ctx.store, ctx.clock, signer),
      presence: new PresenceWriter(ctx.store, ctx.clock, ctx.log, presenceFlushMs),
      progress: new ProgressWriter(ctx.store, ctx.clock, ctx.log),
      uploads,
      indicators: new IndicatorSync(ctx, services.indicators),
      events: new DeviceEvents(
        {
          log: ctx.log,
          now: () => ctx.clock.now(),
          files: services.files,
          ingest: services.ingest,
          indicator: async (id) => {
            const i = await services.indicators.get(id).catch(() => null);
            return i && { title: i.title, severity: i.severity, generateAlert: i.generateAlert };
          },
        },
        events,
      ),
      wakeDispatcher: () => services.dispatcher.wake(),
      dispatchBacklogged: () => services.dispatcher.backlogged,
    },
    gatewayOpts,
  );
  services.executors.register(new AgentExecutor(gateway));
  const previous = services.actions.onCancelled;
  services.actions.onCancelled = (row) => {
    previous(row);
    // An offline agent gets no cancel now; the action is already cancelled here, and if the agent
    // reports a result for it later, that result is acked and ignored.
    if (AGENT_TYPES.has(row.type)) gateway.cancel(agentDeviceOf(toAction(row).target), row.id);
  };
  services.devices.onRevoked((deviceId) => gateway.revoked(deviceId));
  services.deviceGroups.onRegrouped(() => void gateway.pollRegrouped());
  const previousChanged = services.indicators.onChanged;
  services.indicators.onChanged = (rev) => {
    previousChanged(rev);
    gateway.indicatorsChanged(rev);
  };
  return gateway;
}
