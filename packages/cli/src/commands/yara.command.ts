import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { clientFor } from '../api.js';
import { CliError } from '../errors.js';
import { printJson, printTable, say, when, withJson, wantsJson } from '../output.js';

export function registerYara(program: Command): void {
  const yara = program.command('yara').description('YARA rules that agents scan with (`quell device scan`)');

  withJson(yara.command('list').description('every YARA rule')).action(async (_o: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const res = await client.call('listYaraRules');
    if (wantsJson(cmd)) return printJson(res);
    printTable(
      ['ID', 'NAME', 'SIZE', 'CREATED BY', 'CREATED'],
      res.items.map((r) => [r.id, r.name, `${r.source.length} chars`, r.createdBy, when(r.createdAt)]),
      'no YARA rules',
    );
  });

  withJson(
    yara
      .command('add')
      .description('add a rule file; the server compiles it and refuses one that does not compile')
      .argument('<name>', 'rule set name (letters, digits, _ . -)')
      .argument('<file>', 'YARA source file, or - for stdin'),
  ).action(async (name: string, file: string, _o: unknown, cmd: Command) => {
    let source: string;
    try {
      source = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${(e as Error).message}`, 'QUELL_E_INPUT');
    }
    const client = await clientFor(cmd);
    const r = await client.call('createYaraRule', { body: { name, source } });
    if (wantsJson(cmd)) return printJson(r);
    say(`YARA rule ${r.id} (${r.name}) added`);
  });

  yara
    .command('remove')
    .description('remove a YARA rule; scans from now on run without it')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      await client.call('deleteYaraRule', { params: { id } });
      say(`YARA rule ${id} removed`);
    });
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
