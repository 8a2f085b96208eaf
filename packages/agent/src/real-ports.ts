import type { AgentPorts } from './agent.js';
import type { AgentConfig } from './config/agent-config.js';
import { InvestigationCollector } from './collect/index.js';
import { FanotifyExecControl, PackageTrustPolicy } from './exec-control/index.js';
import { NftablesFirewall } from './firewall/index.js';
import type { Logger } from './log.js';
import { FileScanner } from './scan/index.js';

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
    execControl: ec.enabled
      ? new FanotifyExecControl({
          helperPath: ec.helperPath,
          marks: ec.marks,
          fsRoot: config.fsRoot,
          trust: new PackageTrustPolicy({ dpkgDir: config.dpkgDir }),
          logger: log,
        })
      : null,
    scanner: new FileScanner({
      fsRoot: config.fsRoot,
      yaraPath: config.scan.yaraPath,
      clamdSocket: config.scan.clamdSocket,
      cpuLimit: config.scan.cpuLimit,
    }),
    collector: new InvestigationCollector({ fsRoot: config.fsRoot }),
  };
}
