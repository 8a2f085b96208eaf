import { detectBehaviours, type RuleOptions } from './behaviour-rules.js';
import { limitsHitInTrace } from './limits-hit.js';
import { networkObservables } from './network.js';
import { processTree } from './process-tree.js';
import type {
  Behaviour,
  DnsQuery,
  FileRecord,
  LimitHit,
  NetworkAttempt,
  SandboxProcess,
} from './report.schema.js';
import { scopeToSample, type SampleScope } from './sample-scope.js';
import type { TraceEvent } from './trace-events.js';

export interface TraceAnalysis {
  scope: SampleScope;
  processes: SandboxProcess[];
  network: NetworkAttempt[];
  dns: DnsQuery[];
  limitsHit: LimitHit[];
  behaviours: Behaviour[];
}

/**
 * Everything a report says that follows from the trace and the file changes: the sample's
 * part of the trace, its process tree, network activity, limits it hit and its behaviours.
 * Pure, so recorded traces test it without a sandbox.
 */
export function analyseTrace(
  events: readonly TraceEvent[],
  samplePath: string,
  files: readonly FileRecord[],
  rules: Partial<RuleOptions> = {},
): TraceAnalysis {
  const scope = scopeToSample(events, samplePath);
  const { network, dns } = networkObservables(scope);
  return {
    scope,
    processes: processTree(scope),
    network,
    dns,
    limitsHit: limitsHitInTrace(scope),
    behaviours: detectBehaviours({ scope, files, network, dns }, rules),
  };
}
