import type { Command } from 'commander';
import { clientFor } from '../api.js';
import { CliError } from '../errors.js';
import { note, printJson, printTable, say, when, withJson, wantsJson } from '../output.js';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * `quell device quarantined <device>`: the files in one device's quarantine vault, and with
 * `--restore <sha256>` the restore of one of them on that device only (`quell file restore` undoes
 * a file's quarantines everywhere).
 */
export function registerDeviceQuarantine(device: Command): void {
  withJson(
    device
      .command('quarantined')
      .description("files in the device's quarantine vault (quarantining, quarantined, restoring)")
      .argument('<device>', 'hostname or device id')
      .option('--all', 'also restored files and quarantines that did not happen')
      .option('--restore <sha256>', 'restore this file on this device (an action; approvals apply)')
      .option('--comment <text>', 'with --restore: why'),
  ).action(async (id: string, o: { all?: boolean; restore?: string; comment?: string }, cmd: Command) => {
    if (o.comment && !o.restore)
      throw new CliError('--comment goes with --restore <sha256>', 'QUELL_E_INPUT');
    const api = await clientFor(cmd);
    if (o.restore) {
      const sha256 = o.restore.trim().toLowerCase();
      if (!SHA256.test(sha256))
        throw new CliError(
          `--restore needs the file's SHA-256 (64 hex characters); \`quell device quarantined ${id}\` lists them`,
          'QUELL_E_INPUT',
        );
      const r = await api.call('restoreFile', {
        params: { id: sha256 },
        body: { devices: [id], ...(o.comment && { comment: o.comment }) },
      });
      if (wantsJson(cmd)) return printJson(r);
      for (const a of r.actions)
        say(
          `restore action ${a.id} on ${a.target.deviceHostname ?? id}: ${a.status}; follow it with \`quell actions show ${a.id}\``,
        );
      return;
    }
    const r = await api.call('listDeviceQuarantine', {
      params: { id },
      query: o.all ? { all: true } : {},
    });
    if (wantsJson(cmd)) return printJson(r);
    printTable(
      ['SHA256', 'PATH', 'STATE', 'SINCE', 'QUARANTINE ACTION', 'RESTORE ACTION'],
      r.items.map((f) => [f.sha256, f.path, f.state, when(f.at), f.actionId, f.restoreActionId]),
      o.all ? 'nothing was ever quarantined on this device' : 'no files in quarantine on this device',
    );
    if (r.items.some((f) => f.state === 'quarantined'))
      note(`restore one with \`quell device quarantined ${id} --restore <sha256>\``);
  });
}
