import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { currentServerUrl } from './api.js';
import { describeError } from './errors.js';
import { registerActions } from './commands/actions.command.js';
import { registerAlerts } from './commands/alerts.command.js';
import { registerAudit } from './commands/audit.command.js';
import { registerDemo } from './commands/demo.command.js';
import { registerDeviceGroups } from './commands/device-groups.command.js';
import { registerIncidents } from './commands/incidents.command.js';
import { registerLogin } from './commands/login.command.js';
import { registerSettings } from './commands/settings.command.js';
import { registerTokens } from './commands/tokens.command.js';
import { registerUp } from './commands/up.command.js';
import { registerUsers } from './commands/users.command.js';

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
  registerDeviceGroups(program);
  registerUsers(program);
  registerTokens(program);
  registerAudit(program);
  registerSettings(program);
  registerDemo(program);
  return program;
}

/** Runs the CLI: exit 0 on success, 1 when the command failed, 2 on a usage error. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
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
