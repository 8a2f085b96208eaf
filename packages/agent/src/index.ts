export type {
  ProgressFn,
  JobContext,
  ManagementEndpoint,
  IsolationTarget,
  FirewallReadback,
  Firewall,
  ExecControlStatus,
  ExecControlEvent,
  ExecControl,
  ScanRequest,
  ScanReport,
  Scanner,
  CollectedItem,
  CollectionReport,
  Collector,
} from './ports.js';

/** Entry of the `quell-agent` binary; replaced by the runtime's CLI. */
export async function runAgentCli(argv: readonly string[]): Promise<void> {
  await Promise.resolve();
  throw new Error(`quell-agent is not built yet (${argv.length} args)`);
}
