import { Option, type Command } from 'commander';
import { ApiError } from '@quell/contracts';
import { anonymousClient, clientAt, normaliseUrl } from '../api.js';
import { configPath, readLogin, removeLogin, writeLogin } from '../config-file.js';
import { CliError } from '../errors.js';
import { note, say, when } from '../output.js';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('log in to a Quell server and remember it (in $QUELL_CONFIG or ~/.config/quell/cli.json)')
    .addOption(new Option('--email <email>', 'your account').env('QUELL_EMAIL').makeOptionMandatory())
    .addOption(
      new Option('--password <password>', 'your password (prefer the env var: flags show in `ps`)')
        .env('QUELL_PASSWORD')
        .makeOptionMandatory(),
    )
    .action(async (opts: { email: string; password: string }, cmd: Command) => {
      const { url } = cmd.optsWithGlobals<{ url?: string }>();
      if (!url)
        throw new CliError('which server? add --url http://host:8470 (or set QUELL_URL)', 'QUELL_E_INPUT');
      const base = normaliseUrl(url);
      const client = anonymousClient(base);
      const session = await client.call('login', {
        body: { email: opts.email, password: opts.password, mode: 'token' },
      });
      if (!session.token)
        throw new CliError(
          'the server did not issue a token for the CLI; is it a Quell server?',
          'QUELL_E_INTERNAL',
        );
      const path = configPath();
      await writeLogin({ url: base, token: session.token, email: session.user.email }, path);
      say(
        `logged in to ${base} as ${session.user.email} (${session.user.role}); session valid until ${when(session.expiresAt)}`,
      );
      note(`saved to ${path}`);
    });

  program
    .command('logout')
    .description('end the CLI session and forget the stored login')
    .action(async () => {
      const stored = await readLogin();
      if (!stored) {
        say('not logged in');
        return;
      }
      try {
        // The stored session, not QUELL_TOKEN: logout ends what `quell login` started.
        await clientAt(stored.url, stored.token).call('logout');
      } catch (e) {
        // The session may already have expired or the server be gone; forgetting it locally is
        // what the user asked for either way.
        if (!(e instanceof ApiError) || e.status !== 401)
          note(`note: the server was not told (${e instanceof Error ? e.message : String(e)})`);
      }
      await removeLogin();
      say(`logged out of ${stored.url}`);
    });
}
