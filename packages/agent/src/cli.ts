import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { AgentRuntime, createDesiredState } from './agent.js';
import { CONFIG_DEFAULTS, DEFAULT_CONFIG_PATH, type AgentConfig } from './config/agent-config.js';
import { loadConfig, parseConfig, readConfigFile } from './config/config-file.js';
import { AgentError, errorMessage } from './errors.js';
import { useIdleV8Flags } from './footprint.js';
import { enroll } from './identity/enroll.js';
import { collectInventory } from './inventory/inventory.js';
import { createLogger, type Logger } from './log.js';
import { createRealPorts } from './real-ports.js';
import { DesiredStateFile } from './state/desired-state.js';

/** Exit codes; 78 (EX_CONFIG) tells systemd not to restart (`RestartPreventExitStatus=78`). */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, mustReenroll: 78 } as const;

const configOption = () =>
  new Option('-c, --config <path>', 'agent config file')
    .default(DEFAULT_CONFIG_PATH)
    .env('QUELL_AGENT_CONFIG');

/**
 * `quell-agent`: `enroll`, `run`, `reconcile --once`, `status`. `argv` is `process.argv`. Sets
 * `process.exitCode` instead of exiting, so tests can call it.
 */
export async function runAgentCli(argv: readonly string[]): Promise<void> {
  const program = new Command('quell-agent')
    .description('The Quell endpoint agent')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('enroll')
    .description('enroll this device with a token from the Quell console')
    .requiredOption('--server <url>', 'agent listener, https://host[:port]')
    .requiredOption('--token <token>', 'enrollment token qe1.<secret>.<cert sha256>')
    .addOption(configOption())
    .option('--state-dir <dir>', 'where keys and state live (default /var/lib/quell-agent)')
    .action(async (o: { server: string; token: string; config: string; stateDir?: string }) => {
      const raw = await readConfigFile(o.config);
      const log = createLogger('info');
      const inventory = await collectInventory(inventoryOptions(raw, o.config));
      const out = await enroll({
        serverUrl: o.server,
        token: o.token,
        configPath: o.config,
        ...(o.stateDir ? { stateDir: o.stateDir } : {}),
        inventory,
        log,
      });
      process.stdout.write(`enrolled as ${out.deviceId}; config ${o.config}, state ${out.stateDir}\n`);
    });

  program
    .command('run')
    .description('connect to the server and carry out actions (the systemd service)')
    .addOption(configOption())
    .action(async (o: { config: string }) => {
      // runAgentMain (the bin) has done this before loading anything; `quell agent run` through
      // the package index arrives here without it: late, after the runtime has loaded, so it
      // saves less, but the agent still idles without the optimizing compiler.
      useIdleV8Flags();
      const config = await loadConfig(o.config);
      const log = createLogger(config.logLevel);
      process.exitCode = await runForever(config, log);
    });

  program
    .command('reconcile')
    .description('re-apply desired isolation and app restriction from disk (the boot-time unit)')
    .requiredOption('--once', 're-apply once and exit')
    .addOption(configOption())
    .action(async (o: { config: string }) => {
      const config = await loadConfig(o.config);
      const log = createLogger(config.logLevel);
      const ports = createRealPorts(config, log);
      const { reporter, controller } = createDesiredState({ config, ports, log });
      await controller.reconcile();
      controller.stop();
      await ports.execControl?.close();
      const s = reporter.get();
      process.stdout.write(`isolation ${s.isolation.state}, restriction ${s.restriction.state}\n`);
      if (s.isolation.state === 'failed' || s.restriction.state === 'failed')
        process.exitCode = EXIT_CODES.failed;
    });

  program
    .command('status')
    .description('show enrollment, desired state and pending results')
    .addOption(configOption())
    .action(async (o: { config: string }) => {
      const config = await loadConfig(o.config);
      const desired = await new DesiredStateFile(config.stateDir).read();
      const count = async (d: string) => (await readdir(join(config.stateDir, d)).catch(() => [])).length;
      const status = {
        server: config.serverUrl,
        deviceId: config.deviceId,
        stateDir: config.stateDir,
        desired,
        pendingResults: await count('outbox'),
        executedActions: await count('executed'),
      };
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    });

  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    const ce = e as { code?: string; exitCode?: number };
    if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
      // commander has printed help or the usage error already.
      process.exitCode =
        ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version'
          ? EXIT_CODES.ok
          : EXIT_CODES.usage;
      return;
    }
    const code = e instanceof AgentError ? e.code : 'QUELL_E_INTERNAL';
    process.stderr.write(`error: ${errorMessage(e).replace(/ \(QUELL_E_[A-Z_]+\)$/, '')} (${code})\n`);
    process.exitCode = EXIT_CODES.failed;
  }
}

/** Runs the agent until SIGTERM/SIGINT (exit 0) or until the server revokes it (exit 78). */
async function runForever(config: AgentConfig, log: Logger): Promise<number> {
  const runtime = await AgentRuntime.create({ config, ports: createRealPorts(config, log), log });
  await runtime.start();
  const signalled = new Promise<number>((resolve) => {
    const stop = (sig: string): void => {
      log.info('stopping', { signal: sig });
      resolve(EXIT_CODES.ok);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  const code = await Promise.race([
    signalled,
    runtime.whenStopped().then((r) => (r === 'stopped' ? EXIT_CODES.ok : EXIT_CODES.mustReenroll)),
  ]);
  await runtime.stop();
  return code;
}

/** Inventory settings from an existing config file (enroll runs before one is complete). */
function inventoryOptions(raw: unknown, path: string): Parameters<typeof collectInventory>[0] {
  const defaults = {
    fsRoot: CONFIG_DEFAULTS.fsRoot,
    helperPath: CONFIG_DEFAULTS.helperPath,
    clamdSocket: CONFIG_DEFAULTS.clamdSocket,
    yaraPath: CONFIG_DEFAULTS.yaraPath,
  };
  if (!raw) return defaults;
  try {
    const c = parseConfig(raw, path);
    return {
      fsRoot: c.fsRoot,
      helperPath: c.execControl.helperPath,
      clamdSocket: c.scan.clamdSocket,
      yaraPath: c.scan.yaraPath,
    };
  } catch {
    // A half-written config from an earlier failed enroll must not block enrolling again.
    return defaults;
  }
}
