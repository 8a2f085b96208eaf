import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { currentServerUrl } from './api.js';
import { describeError } from './errors.js';
import { registerActions } from './commands/actions.command.js';
import { registerAlerts } from './commands/alerts.command.js';
import { registerAudit } from './commands/audit.command.js';
import { registerBatch } from './commands/batch.command.js';
import { registerFile } from './commands/file.command.js';
import { registerIndicators } from './commands/indicators.command.js';
import { registerAnalysis } from './commands/analysis.command.js';
import { registerDemo } from './commands/demo.command.js';
import { registerDevice } from './commands/device.command.js';
import { registerDeviceGroups } from './commands/device-groups.command.js';
import { registerDevices } from './commands/devices.command.js';
import { registerEnrollmentTokens } from './commands/enrollment-tokens.command.js';
import { registerIncidents } from './commands/incidents.command.js';
import { registerLogin } from './commands/login.command.js';
import { registerPackages } from './commands/packages.command.js';
import { registerSettings } from './commands/settings.command.js';
import { registerTokens } from './commands/tokens.command.js';
import { registerUp } from './commands/up.command.js';
import { registerUsers } from './commands/users.command.js';
import { registerYara } from './commands/yara.command.js';

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** The `quell` program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('quell')
    .description('Quell: self-hosted XDR response. Run a server with `quell up`, then `quell login`.')
    .version(VERSION, '-V, --version', 'print the version')
    .addOption(new Option('--url <url>', 'Quell server URL').env('QUELL_URL'))
    .addOption(new Option('--token <token>', 'API token or session token').env('QUELL_TOKEN'))
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(add --help for usage)')
    // Subcommands made with .command() inherit this, so every usage error reaches main() below.
    .exitOverride();

  registerUp(program);
  registerLogin(program);
  registerAlerts(program);
  registerIncidents(program);
  registerActions(program);
  registerDevices(program);
  registerDevice(program);
  registerBatch(program);
  registerFile(program);
  registerIndicators(program);
  registerAnalysis(program);
  registerPackages(program);
  registerDeviceGroups(program);
  registerYara(program);
  registerUsers(program);
  registerTokens(program);
  registerEnrollmentTokens(program);
  registerAudit(program);
  registerSettings(program);
  registerDemo(program);
  registerAgent(program);
  return program;
}

/**
 * `quell agent …` belongs to the agent package. It is listed here for `quell --help` only: main()
 * hands the arguments over before commander parses them, because the agent's own `--token` and
 * `--url`-like flags would otherwise be taken as this program's global options.
 */
function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('the Linux endpoint agent: enroll, run, status (`quell agent --help`)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => runAgent([]));
}

/** Runs the agent's CLI with `argv` shaped like process.argv, as its own `quell-agent` bin does. */
async function runAgent(args: readonly string[]): Promise<void> {
  // Loaded only for `quell agent`: the agent's runtime has no business in every other command.
  const { runAgentCli } = await import('@quell/agent');
  await runAgentCli([process.execPath, 'quell-agent', ...args]);
}

/** Runs the CLI: exit 0 on success, 1 when the command failed, 2 on a usage error. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    if (argv[2] === 'agent') return await runAgent(argv.slice(3));
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its message (or the help / version).
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    const { message, code } = describeError(e, currentServerUrl());
    process.stderr.write(`error: ${message} (${code})\n`);
    process.exitCode = 1;
  }
}

await main();
