import { Option, type Command } from 'commander';
import { clientFor } from '../api.js';
import { CliError } from '../errors.js';
import { intArg } from '../options.js';
import { printJson, printTable, say, when, withJson, wantsJson } from '../output.js';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log');

  withJson(
    audit
      .command('list')
      .description('audit entries, newest first')
      .addOption(new Option('--limit <n>', 'how many (1-500)').argParser(intArg(1, 500)))
      .addOption(
        new Option('--before-seq <n>', 'older than this sequence number (paging)').argParser(
          intArg(1, Number.MAX_SAFE_INTEGER),
        ),
      )
      .option('--subject <id>', 'only entries about this subject (an action, incident, user…)'),
  ).action(async (o: { limit?: number; beforeSeq?: number; subject?: string }, cmd: Command) => {
    const client = await clientFor(cmd);
    const res = await client.call('listAudit', {
      query: { limit: o.limit, beforeSeq: o.beforeSeq, subject: o.subject },
    });
    if (wantsJson(cmd)) return printJson(res);
    printTable(
      ['SEQ', 'AT', 'ACTOR', 'EVENT', 'SUBJECT'],
      res.items.map((e) => [e.seq, when(e.at), e.actor, e.event, e.subject]),
      'no audit entries',
    );
  });

  withJson(
    audit
      .command('verify')
      .description('check the hash chain; exits 1 and names the first bad entry if it was tampered with'),
  ).action(async (_o: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const r = await client.call('verifyAudit');
    if (wantsJson(cmd)) printJson(r);
    if (!r.ok) {
      throw new CliError(
        `audit log broken at sequence ${r.firstBadSeq ?? '?'}${r.problem ? `: ${r.problem}` : ''} (${r.checked} entries checked)`,
        'QUELL_E_AUDIT_BROKEN',
      );
    }
    if (!wantsJson(cmd)) say(`audit log intact (${r.checked} entries checked)`);
  });
}
