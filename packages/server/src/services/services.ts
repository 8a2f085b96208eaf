import { NotifierRegistry, WebhookNotifier } from '@quell/connectors';
import { Dispatcher } from '../engine/dispatcher.js';
import { ExecutorRegistry } from '../engine/executor.js';
import { WebhookExecutor } from '../engine/webhook.executor.js';
import { AccessService } from './access.service.js';
import { ActionService } from './action.service.js';
import type { ServiceContext } from './context.js';
import { DeviceGroupService } from './device-group.service.js';
import { DeviceService } from './device.service.js';
import { IncidentService } from './incident.service.js';
import { IngestService } from './ingest.service.js';
import { ParamValidator } from './param-validator.js';
import { SettingsService } from './settings.service.js';

export interface Services {
  ctx: ServiceContext;
  settings: SettingsService;
  deviceGroups: DeviceGroupService;
  devices: DeviceService;
  ingest: IngestService;
  incidents: IncidentService;
  actions: ActionService;
  access: AccessService;
  executors: ExecutorRegistry;
  notifiers: NotifierRegistry;
  dispatcher: Dispatcher;
}

export interface ServiceOptions {
  sessionHours?: number;
  instanceId?: string;
  env?: NodeJS.ProcessEnv;
  maxAttempts?: number;
  retryBaseMs?: number;
  /** Agent heartbeat and offline limit (config QUELL_AGENT_HEARTBEAT_MS / _OFFLINE_AFTER_MS). */
  agent?: { heartbeatMs?: number; offlineAfterMs?: number };
}

/** Wires the services together; no I/O happens until they are called. */
export function createServices(ctx: ServiceContext, opts: ServiceOptions = {}): Services {
  const settings = new SettingsService(ctx);
  const deviceGroups = new DeviceGroupService(ctx);
  const devices = new DeviceService(ctx, {
    ...(opts.agent?.offlineAfterMs !== undefined && { offlineAfterMs: opts.agent.offlineAfterMs }),
  });
  const incidents = new IncidentService(ctx);
  const ingest = new IngestService(ctx, settings, deviceGroups);
  const actions = new ActionService(ctx, settings, deviceGroups, incidents, new ParamValidator());
  const access = new AccessService(ctx, deviceGroups, opts.sessionHours ?? 12);
  const notifiers = new NotifierRegistry().register(new WebhookNotifier());
  const executors = new ExecutorRegistry().register(
    new WebhookExecutor(settings, notifiers.get('webhook'), opts.env ?? process.env),
  );
  const dispatcher = new Dispatcher(ctx, actions, executors, {
    instanceId: opts.instanceId ?? 'local',
    ...(opts.maxAttempts !== undefined && { maxAttempts: opts.maxAttempts }),
    ...(opts.retryBaseMs !== undefined && { retryBaseMs: opts.retryBaseMs }),
  });
  actions.onQueued = () => dispatcher.wake();
  return {
    ctx,
    settings,
    deviceGroups,
    devices,
    ingest,
    incidents,
    actions,
    access,
    executors,
    notifiers,
    dispatcher,
  };
}
