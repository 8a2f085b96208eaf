import { NotifierRegistry, WebhookNotifier } from '@quell/connectors';
import { EnrollmentService } from '../agents/enrollment/enrollment.service.js';
import { AgentKeyring, agentHostNames } from '../agents/keys/agent-keys.js';
import { ActionPackages } from '../blobs/action-package.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { FileBlobStore } from '../blobs/file-blob-store.js';
import { Dispatcher } from '../engine/dispatcher.js';
import { ExecutorRegistry } from '../engine/executor.js';
import { WebhookExecutor } from '../engine/webhook.executor.js';
import { AccessService } from './access.service.js';
import { ActionService } from './action.service.js';
import { ActionBatchService } from './action-batch.service.js';
import { IndicatorService } from '../indicators/indicator.service.js';
// indicators (issue 4)
import { IndicatorExecutor } from '../indicators/indicator.executor.js';
import { FileService } from '../files/file.service.js';
import { indicatorVerdicts } from '../files/indicator-verdicts.js';
import { AnalysisService } from '../analysis/analysis.service.js';
// deep analyses (issue 4)
import type { AnalysisOptions } from '../analysis/analysis.service.js';
import { AnalysisExecutor } from '../analysis/analysis.executor.js';
import type { ServiceDeps } from './service-deps.js';
import type { ServiceContext } from './context.js';
import { DeviceGroupService } from './device-group.service.js';
import { DeviceService } from './device.service.js';
import { IncidentService } from './incident.service.js';
import { IngestService } from './ingest.service.js';
import { ParamValidator } from './param-validator.js';
import type { ScryptCost } from './password.js';
import { SettingsService } from './settings.service.js';
import { YaracCompiler, type YaraCompiler } from './yara-compiler.js';
import { YaraService } from './yara.service.js';

export interface Services {
  ctx: ServiceContext;
  settings: SettingsService;
  deviceGroups: DeviceGroupService;
  devices: DeviceService;
  /** Enrollment tokens and agent enrollment. */
  enrollment: EnrollmentService;
  /** The agent listener's TLS pair and the command-signing key, loaded on first use. */
  agentKeys: AgentKeyring;
  yara: YaraService;
  blobs: BlobStore;
  packages: ActionPackages;
  ingest: IngestService;
  incidents: IncidentService;
  actions: ActionService;
  /** One action for many devices. */
  actionBatches: ActionBatchService;
  /** Indicators of compromise and the feed agents sync (issue 4). */
  indicators: IndicatorService;
  /** Files: observations, quarantine, collection, analysis (issue 4). */
  files: FileService;
  /** Deep analysis in the sandbox (issue 4). */
  analyses: AnalysisService;
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
  /**
   * The scrypt cost of new password hashes; default PASSWORD_COST (N=2^15, r=8, 32 MiB). Only
   * test harnesses lower it: every test server logs users in, and at full cost those hashes were
   * a large share of the integration suite's CPU. Hashes carry their cost, so either verifies.
   */
  passwordCost?: ScryptCost;
  /** Agent settings from the config (QUELL_AGENT_*); defaults as documented there. */
  agent?: {
    heartbeatMs?: number;
    offlineAfterMs?: number;
    /** The public agent listener URL, printed with tokens. */
    url?: string;
    tlsCertFile?: string | null;
    tlsKeyFile?: string | null;
    /** Names for a self-signed listener certificate; default from the listener host and URL. */
    hostNames?: readonly string[];
  };
  /** Where blobs are stored: `<dataDir>/blobs` in a server; a fresh temp directory when unset (tests). */
  blobDir?: string;
  /** Compiles YARA rules before they are saved; default `yarac` from PATH. */
  yaraCompiler?: YaraCompiler;
  // deep analyses (issue 4)
  /** Deep analysis: the sandbox runner, concurrency, upload limit, indicator matcher. */
  analysis?: AnalysisOptions;
}

/** Wires the services together; no I/O happens until they are called. */
export function createServices(ctx: ServiceContext, opts: ServiceOptions = {}): Services {
  const settings = new SettingsService(ctx);
  const deviceGroups = new DeviceGroupService(ctx);
  const devices = new DeviceService(ctx, {
    ...(opts.agent?.offlineAfterMs !== undefined && { offlineAfterMs: opts.agent.offlineAfterMs }),
  });
  const incidents = new IncidentService(ctx);
  const a = opts.agent ?? {};
  const agentKeys = new AgentKeyring(
    ctx.store,
    {
      tlsCertFile: a.tlsCertFile ?? null,
      tlsKeyFile: a.tlsKeyFile ?? null,
      hostNames: a.hostNames ?? agentHostNames('127.0.0.1', a.url ?? null),
    },
    () => ctx.clock.now(),
  );
  const enrollment = new EnrollmentService(ctx, deviceGroups, agentKeys, {
    ...(a.heartbeatMs !== undefined && { heartbeatMs: a.heartbeatMs }),
    ...(a.url !== undefined && { agentUrl: a.url }),
  });
  const blobs = new FileBlobStore(opts.blobDir ?? null, ctx.store, ctx.clock);
  const ingest = new IngestService(ctx, settings, deviceGroups);
  const actions = new ActionService(ctx, settings, deviceGroups, incidents, new ParamValidator());
  const access = new AccessService(ctx, deviceGroups, opts.sessionHours ?? 12, opts.passwordCost);
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
  const actionBatches = new ActionBatchService(ctx, actions, settings, incidents);
  const deps: ServiceDeps = { settings, deviceGroups, incidents, ingest, actions, actionBatches, blobs };
  // indicators (issue 4): add_indicator / remove_indicator run on the server, through the service.
  const indicators = new IndicatorService(ctx, deps, { env: opts.env ?? process.env });
  executors.register(new IndicatorExecutor(indicators));
  // files (issue 4): the file page shows what the indicators say of a file.
  const files = new FileService(ctx, deps);
  files.addVerdictSource(indicatorVerdicts(indicators));
  // deep analyses (issue 4): the sandbox executor, and cancelled actions stop their detonation.
  const analyses = new AnalysisService(ctx, deps, opts.analysis);
  executors.register(new AnalysisExecutor(analyses));
  // Unless a test gave its own, sandbox observables are checked against the fleet's indicators.
  if (!opts.analysis?.indicatorMatcher)
    analyses.setIndicatorMatcher({ match: (type, value) => indicators.matchObservable(type, value) });
  const cancelledBeforeAnalyses = actions.onCancelled;
  actions.onCancelled = (row) => {
    cancelledBeforeAnalyses(row);
    analyses.actionCancelled(row);
  };
  return {
    ctx,
    settings,
    deviceGroups,
    devices,
    enrollment,
    agentKeys,
    yara: new YaraService(ctx, opts.yaraCompiler ?? new YaracCompiler()),
    blobs,
    packages: new ActionPackages(ctx, blobs),
    ingest,
    incidents,
    actions,
    actionBatches,
    indicators,
    files,
    analyses,
    access,
    executors,
    notifiers,
    dispatcher,
  };
}
