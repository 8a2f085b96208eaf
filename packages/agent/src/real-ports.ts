import type { AgentPorts } from './agent.js';
import type { AgentConfig } from './config/agent-config.js';
import { InvestigationCollector } from './collect/index.js';
import { NftablesFirewall } from './firewall/index.js';
import type { Logger } from './log.js';
import { FileScanner } from './scan/index.js';

/**
 * The production ports, configured from the agent config: nftables, the file scanner (hashes,
 * yara, clamd), the investigation collector.
 *
 * Exec control stays null until the exec-control module exposes its entry point (its
 * `index.ts`); restrict/remove app restriction then fail with a clear "disabled" error rather
 * than pretending to enforce.
 */
export function createRealPorts(config: AgentConfig, log: Logger): AgentPorts {
  if (config.execControl.enabled) {
    log.warn('exec control is not wired into this build yet; restrict_app_execution will fail');
  }
  return {
    firewall: new NftablesFirewall({ table: config.nft.table, commandPrefix: config.nft.commandPrefix }),
    execControl: null,
    scanner: new FileScanner({
      fsRoot: config.fsRoot,
      yaraPath: config.scan.yaraPath,
      clamdSocket: config.scan.clamdSocket,
      cpuLimit: config.scan.cpuLimit,
    }),
    collector: new InvestigationCollector({ fsRoot: config.fsRoot }),
  };
}
