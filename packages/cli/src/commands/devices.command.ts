import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { Action, Device, DeviceDetail, EnforcementView } from '@quell/contracts';
import { DEVICE_HEALTH, type DeviceHealth } from '@quell/core';
import { clientFor, type Api } from '../api.js';
import { CliError } from '../errors.js';
import { choiceOption } from '../options.js';
import { list, printJson, printRecord, printTable, say, when, withJson, wantsJson } from '../output.js';

/** Actions shown under `devices show`; the Action Center has the rest. */
const RECENT_ACTIONS = 10;

/** `on (nftables sha256:ab12…, checked 2026-06-01 08:00:00Z)`: the state and why we believe it. */
export function enforcementText(v: EnforcementView): string {
  const why = [v.evidence, v.checkedAt && `checked ${when(v.checkedAt)}`, v.error && `error: ${v.error}`]
    .filter(Boolean)
    .join(', ');
  return why ? `${v.state} (${why})` : v.state;
}

/** Selective isolation's allowances, one per line, as `quell device isolate --exclude` takes them. */
export function isolationSpecText(v: EnforcementView): string | null {
  const spec = v.isolation;
  if (!spec) return null;
  const parts = [
    spec.mode,
    spec.allowDns && 'DNS allowed',
    spec.allowDhcp && 'DHCP allowed',
    ...spec.exclusions.map(
      (x) => `allow ${x.remote}:${x.port ?? '*'}/${x.protocol ?? 'any'}/${x.direction ?? 'both'}`,
    ),
  ].filter((p): p is string => !!p);
  return parts.join('\n');
}

function health(d: Device): string {
  if (!d.enrolled) return 'no agent';
  if (d.revokedAt) return 'revoked';
  return d.health ?? 'unknown';
}

/**
 * Actions aimed at a device, newest first. The Action Center filters on the target id exactly and
 * a request may name the device by hostname or by id, so both are asked for.
 */
export async function deviceActions(api: Api, d: Device, limit = RECENT_ACTIONS): Promise<Action[]> {
  const ids = [...new Set([d.hostname, d.id])];
  const pages = await Promise.all(
    ids.map((entity) => api.call('listActions', { query: { entity, view: 'all', period: '6m', limit } })),
  );
  const seen = new Map<string, Action>();
  for (const p of pages) for (const a of p.items) seen.set(a.id, a);
  return [...seen.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
}

function printDevice(d: DeviceDetail): void {
  printRecord([
    ['id', d.id],
    ['hostname', d.hostname],
    ['health', health(d)],
    ['issues', list(d.issues)],
    ['os', [d.os, d.osVersion].filter(Boolean).join(' ') || null],
    ['kernel', d.kernel],
    ['addresses', list(d.addresses)],
    ['agent version', d.agentVersion],
    ['capabilities', list(d.capabilities)],
    ['machine id', d.machineId],
    ['group', `${d.deviceGroupName} (${d.deviceGroupId})`],
    ['tags', list(d.tags)],
    ['enrolled', d.enrolledAt ? when(d.enrolledAt) : 'no'],
    ['revoked', d.revokedAt ? when(d.revokedAt) : null],
    ['connected', when(d.connectedAt)],
    ['last seen', when(d.lastSeenAt)],
  ]);
  say('\nVerified state (as the agent read it back)');
  printRecord([
    ['isolation', enforcementText(d.isolation)],
    ['isolation rules', isolationSpecText(d.isolation)],
    ['isolation action', d.isolation.actionId],
    ['app restriction', enforcementText(d.restriction)],
    ['restriction action', d.restriction.actionId],
  ]);
}

/** Asks on the terminal; without one, the caller must have said --yes. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new CliError('not confirmed: add --yes to run this without a terminal', 'QUELL_E_INPUT');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

interface ListOptions {
  health?: DeviceHealth;
  group?: string;
  enrolled?: boolean;
  search?: string;
}

export function registerDevices(program: Command): void {
  const devices = program
    .command('devices')
    .description('devices: enrolled agents and devices seen in alerts (act on one with `quell device`)');

  withJson(
    devices
      .command('list')
      .description('devices with health, group and verified isolation / restriction')
      .addOption(choiceOption('--health <health>', 'enrolled devices in this health', DEVICE_HEALTH))
      .option('--group <id>', 'devices in this device group')
      .option('--enrolled', 'only devices running the Quell agent')
      .option('--search <text>', 'hostname contains'),
  ).action(async (o: ListOptions, cmd: Command) => {
    const client = await clientFor(cmd);
    const res = await client.call('listDevices', {
      query: {
        ...(o.health && { health: o.health }),
        ...(o.group && { deviceGroupId: o.group }),
        ...(o.enrolled && { enrolled: true }),
        ...(o.search && { q: o.search }),
      },
    });
    if (wantsJson(cmd)) return printJson(res);
    printTable(
      ['HOSTNAME', 'OS', 'HEALTH', 'GROUP', 'ISOLATION', 'RESTRICTION', 'LAST SEEN', 'AGENT'],
      res.items.map((d) => [
        d.hostname,
        d.os,
        health(d),
        d.deviceGroupName,
        d.enrolled ? d.isolation.state : '-',
        d.enrolled ? d.restriction.state : '-',
        when(d.lastSeenAt),
        d.agentVersion,
      ]),
      'no devices',
    );
  });

  withJson(
    devices
      .command('show')
      .description('one device: inventory, verified states with evidence, recent actions')
      .argument('<device>', 'hostname or device id'),
  ).action(async (id: string, _o: unknown, cmd: Command) => {
    const client = await clientFor(cmd);
    const d = await client.call('getDevice', { params: { id } });
    const actions = await deviceActions(client, d);
    if (wantsJson(cmd)) return printJson({ ...d, recentActions: actions });
    printDevice(d);
    say('\nRecent actions');
    printTable(
      ['ID', 'TYPE', 'STATUS', 'REQUESTED BY', 'CREATED'],
      actions.map((a) => [a.id, a.type, a.status, a.requestedBy, when(a.createdAt)]),
      'no actions on this device',
    );
  });

  withJson(
    devices
      .command('revoke')
      .description("revoke a device's agent: it is disconnected and refused until enrolled again")
      .argument('<device>', 'hostname or device id')
      .option('--comment <text>', 'why (kept in the audit log)')
      .option('-y, --yes', 'do not ask for confirmation'),
  ).action(async (id: string, o: { comment?: string; yes?: boolean }, cmd: Command) => {
    const client = await clientFor(cmd);
    if (!o.yes && !(await confirm(`Revoke the agent of ${id}? It will be disconnected at once.`))) {
      throw new CliError('not revoked: not confirmed', 'QUELL_E_INPUT');
    }
    const d = await client.call('revokeDevice', {
      params: { id },
      body: o.comment ? { comment: o.comment } : {},
    });
    if (wantsJson(cmd)) return printJson(d);
    say(`device ${d.hostname} (${d.id}) revoked at ${when(d.revokedAt)}`);
  });
}
