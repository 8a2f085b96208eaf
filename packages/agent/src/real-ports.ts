import type { AgentPorts } from './agent.js';
import type { AgentConfig } from './config/agent-config.js';
import { FanotifyExecControl, PackageTrustPolicy } from './exec-control/index.js';
import { NftablesFirewall } from './firewall/index.js';
import type { Logger } from './log.js';
import type { Collector, Scanner } from './ports.js';

/**
 * The scanner and the collector are loaded on first use: an idle agent never needs them, and
 * their modules (zip writer, signature tables) would otherwise count against its resident memory.
 */
function lazyScanner(make: () => Promise<Scanner>): Scanner {
  let made: Promise<Scanner> | null = null;
  return { scan: async (req, ctx) => (await (made ??= make())).scan(req, ctx) };
}
function lazyCollector(make: () => Promise<Collector>): Collector {
  let made: Promise<Collector> | null = null;
  return { collect: async (dir, ctx) => (await (made ??= make())).collect(dir, ctx) };
}

/**
 * The production ports, configured from the agent config: nftables, fanotify exec control
 * (unless `execControl.enabled` is false: restrict/remove app restriction then fail with a
 * clear "disabled" error instead of pretending to enforce), the file scanner (hashes, yara,
 * clamd), the investigation collector.
 */
export function createRealPorts(config: AgentConfig, log: Logger): AgentPorts {
  const ec = config.execControl;
  return {
    firewall: new NftablesFirewall({ table: config.nft.table, commandPrefix: config.nft.commandPrefix }),
    // Loaded when indicators first sync, so an agent that never gets one stays small.
    iocFirewall: async () => {
      const { NftIocFirewall } = await import('./indicators/index.js');
      return new NftIocFirewall({ commandPrefix: config.nft.commandPrefix });
    },
    execControl: ec.enabled
      ? new FanotifyExecControl({
          helperPath: ec.helperPath,
          marks: ec.marks,
          fsRoot: config.fsRoot,
          trust: new PackageTrustPolicy({ dpkgDir: config.dpkgDir }),
          logger: log,
        })
      : null,
    scanner: lazyScanner(async () => {
      const { FileScanner } = await import('./scan/index.js');
      return new FileScanner({
        fsRoot: config.fsRoot,
        yaraPath: config.scan.yaraPath,
        clamdSocket: config.scan.clamdSocket,
        cpuLimit: config.scan.cpuLimit,
      });
    }),
    collector: lazyCollector(async () => {
      const { InvestigationCollector } = await import('./collect/index.js');
      return new InvestigationCollector({ fsRoot: config.fsRoot });
    }),
  };
}
