import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { intArg } from '../options.js';
import { say } from '../output.js';

interface UpOptions {
  dataDir?: string;
  port?: number;
  host?: string;
  databaseUrl?: string;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  demo?: boolean;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start a Quell server (API, console and dispatcher) and keep it running until Ctrl-C')
    .addOption(
      new Option('--data-dir <dir>', 'where SQLite and blobs live (default ~/.quell)').env('QUELL_DATA_DIR'),
    )
    .addOption(
      new Option('--port <n>', 'HTTP port; 0 picks a free one (default 8470)')
        .env('QUELL_PORT')
        .argParser(intArg(0, 65535)),
    )
    .addOption(new Option('--host <address>', 'address to listen on (default 127.0.0.1)').env('QUELL_HOST'))
    .addOption(
      new Option('--database-url <url>', 'postgres:// URL; unset for embedded SQLite').env(
        'QUELL_DATABASE_URL',
      ),
    )
    .addOption(
      new Option('--log-level <level>', 'server log level (default info)')
        .env('QUELL_LOG_LEVEL')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    )
    .option('--demo', 'fill an empty instance with demo incidents and actions')
    .action(async (opts: UpOptions) => {
      // loadConfig reads the rest (admin, sessions, rate limits…) from the environment and names
      // every bad key at once; the flags above only override what they mirror.
      // Loaded on demand: the server pulls in Fastify and the database drivers, which every other
      // command can do without.
      const { loadConfig, startServer, ConfigError } = await import('@quell/server');
      let config;
      try {
        config = loadConfig(process.env, {
          dataDir: opts.dataDir,
          port: opts.port,
          host: opts.host,
          databaseUrl: opts.databaseUrl,
          logLevel: opts.logLevel,
        });
      } catch (e) {
        if (e instanceof ConfigError) throw new CliError(e.message, 'QUELL_E_CONFIG');
        throw e;
      }
      let server;
      try {
        server = await startServer(config, { demo: opts.demo === true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new CliError(
            `${config.host}:${config.port} is already in use; stop what runs there or pick another port with --port (or QUELL_PORT)`,
            'QUELL_E_CONFIG',
          );
        }
        throw e;
      }
      say(`Quell is running: ${server.url}`);
      if (server.firstAdmin) {
        say('');
        say('First start: an admin account was created.');
        say(`  email:    ${server.firstAdmin.email}`);
        if (server.firstAdmin.generated) {
          say(`  password: ${server.firstAdmin.password}`);
          say('  This password is shown only once; change it after logging in.');
        } else {
          say('  password: the one in QUELL_ADMIN_PASSWORD');
        }
        say('');
        say(
          `Log in from the CLI: quell login --url ${server.url} --email ${server.firstAdmin.email} --password …`,
        );
      }
      say('Press Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        let closing = false;
        const stop = (signal: NodeJS.Signals) => {
          if (closing) return;
          closing = true;
          say(`\n${signal}: stopping…`);
          void server.close().then(
            () => {
              say('Quell stopped.');
              resolve();
            },
            (e: unknown) => {
              process.stderr.write(
                `error: stopping failed: ${e instanceof Error ? e.message : String(e)} (QUELL_E_INTERNAL)\n`,
              );
              process.exitCode = 1;
              resolve();
            },
          );
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
