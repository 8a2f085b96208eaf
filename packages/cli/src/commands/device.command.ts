import { isIP } from 'node:net';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Action, ActionRequest, IsolationExclusion } from '@quell/contracts';
import { EXCLUSION_PROTOCOLS, TRAFFIC_DIRECTIONS, actionDefinition, type ActionType } from '@quell/core';
import { clientFor, type Api } from '../api.js';
import { CliError } from '../errors.js';
import { intArg } from '../options.js';
import { note, printJson, say, withJson, wantsJson } from '../output.js';
import { reportUnfinished, waitForAction } from '../progress.js';
import { enforcementText, isolationSpecText } from './devices.command.js';
import { registerDeviceQuarantine } from './device-quarantine.command.js';
import { downloadPackage } from './packages.command.js';

/** The agent enforces at most this many allowances (the catalog's `maxItems`). */
const MAX_EXCLUSIONS = 64;

const EXCLUDE_FORMAT =
  'write it as REMOTE[:PORT[/PROTOCOL[/DIRECTION]]], e.g. 10.0.0.5/32:443/tcp/outbound, ' +
  '192.168.0.0/16, [2001:db8::/32]:53/udp; PORT may be * for any';

function validRemote(remote: string): boolean {
  const [addr = '', prefix, extra] = remote.split('/');
  if (extra !== undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Parses one `--exclude` (repeatable) into an isolation allowance, refusing anything the agent
 * could not enforce before a request is made. IPv6 with a port goes in brackets, as in URLs.
 */
export function parseExclusion(raw: string, previous: IsolationExclusion[] = []): IsolationExclusion[] {
  const bad = (why: string) => new InvalidArgumentError(`${why}; ${EXCLUDE_FORMAT}.`);
  const text = raw.trim();
  let remote: string;
  let rest: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw bad('missing "]" after the IPv6 address');
    remote = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw bad('expected ":PORT" after "]"');
    rest = after === '' ? undefined : after.slice(1);
  } else if ((text.match(/:/g) ?? []).length > 1) {
    // Bare IPv6 (several colons) cannot carry a port without brackets.
    remote = text;
  } else {
    const colon = text.indexOf(':');
    remote = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (!validRemote(remote)) throw bad(`"${remote}" is not an IPv4/IPv6 address or CIDR`);
  const x: IsolationExclusion = { remote };
  if (rest !== undefined) {
    const [port = '', protocol, direction, extra] = rest.split('/');
    if (extra !== undefined) throw bad('too many "/" parts');
    if (port !== '*' && port !== 'any') {
      const n = Number(port);
      if (!/^\d+$/.test(port) || n < 1 || n > 65535) throw bad(`port "${port}" is not 1-65535 or *`);
      x.port = n;
    }
    if (protocol !== undefined) {
      if (!(EXCLUSION_PROTOCOLS as readonly string[]).includes(protocol))
        throw bad(`protocol "${protocol}" is not one of ${EXCLUSION_PROTOCOLS.join(', ')}`);
      x.protocol = protocol as IsolationExclusion['protocol'];
    }
    if (direction !== undefined) {
      if (!(TRAFFIC_DIRECTIONS as readonly string[]).includes(direction))
        throw bad(`direction "${direction}" is not one of ${TRAFFIC_DIRECTIONS.join(', ')}`);
      x.direction = direction as IsolationExclusion['direction'];
    }
  }
  if (previous.length >= MAX_EXCLUSIONS) throw bad(`at most ${MAX_EXCLUSIONS} exclusions`);
  return [...previous, x];
}

interface WaitFlags {
  wait?: boolean;
  waitTimeout?: number;
  comment?: string;
  ttlHours?: number;
}

/** `--comment`, `--ttl-hours`, `--wait` and `--wait-timeout`, shared by every device action. */
function withActionFlags(cmd: Command): Command {
  return withJson(
    cmd
      .argument('<device>', 'hostname or device id')
      .option('--comment <text>', 'why (kept with the action and in the audit log)')
      .addOption(
        new Option('--ttl-hours <n>', 'how long it may wait for the device to connect').argParser(
          intArg(1, 720),
        ),
      )
      .option('--wait', 'follow the action until it ends and print the verified result')
      .addOption(
        new Option('--wait-timeout <seconds>', 'with --wait: stop waiting after this long').argParser(
          intArg(1, 86_400),
        ),
      ),
  );
}

/** Prints what the device verified after a state action, read back from the device itself. */
async function printVerified(api: Api, a: Action): Promise<void> {
  const d = await api.call('getDevice', { params: { id: a.target.id } });
  const isolation = a.type === 'isolate_device' || a.type === 'release_device';
  const view = isolation ? d.isolation : d.restriction;
  say(`${d.hostname} ${isolation ? 'isolation' : 'app restriction'}: ${enforcementText(view)}`);
  const spec = a.type === 'isolate_device' ? isolationSpecText(view) : null;
  if (spec) say(spec.replace(/^/gm, '  '));
}

function printResult(a: Action): void {
  const r = a.result ?? {};
  if (a.type === 'run_av_scan') {
    say(
      `scan finished: ${String(r.filesScanned ?? '?')} files scanned, ${String(r.filesSkipped ?? 0)} skipped, ` +
        `${String(r.detections ?? 0)} detections (engines: ${Array.isArray(r.engines) ? r.engines.join(', ') : '-'})`,
    );
  } else if (a.type === 'collect_investigation_package') {
    say(
      `package collected: ${String(r.items ?? '?')} items, ${String(r.itemErrors ?? 0)} failed, ${String(r.sizeBytes ?? '?')} bytes`,
    );
    say(`download it with \`quell packages download ${a.id}\``);
  }
}

/** Requests a device action; with --wait follows it and prints the verified state or the result. */
async function runDeviceAction(
  cmd: Command,
  type: ActionType,
  device: string,
  o: WaitFlags,
  params: Record<string, unknown> = {},
  after?: (api: Api, a: Action) => Promise<void>,
): Promise<void> {
  const api = await clientFor(cmd);
  const body: ActionRequest = {
    type,
    target: { kind: 'device', id: device },
    ...(Object.keys(params).length > 0 && { params }),
    ...(o.comment && { comment: o.comment }),
    ...(o.ttlHours && { ttlHours: o.ttlHours }),
  };
  const requested = await api.call('requestAction', { body });
  if (!o.wait) {
    if (wantsJson(cmd)) return printJson(requested);
    say(`action ${requested.id} ${type} on ${device}: ${requested.status}`);
    say(`  ${requested.approvalReason}`);
    return;
  }
  note(`action ${requested.id} ${type} on ${device} requested (${requested.approvalReason})`);
  const outcome = await waitForAction(api, requested, { timeoutSeconds: o.waitTimeout });
  if (wantsJson(cmd)) printJson(outcome.action);
  if (outcome.kind !== 'succeeded') return reportUnfinished(outcome);
  if (wantsJson(cmd)) return;
  say(`action ${outcome.action.id} ${type} on ${device}: succeeded`);
  if (actionDefinition(type).kind === 'state') await printVerified(api, outcome.action);
  else printResult(outcome.action);
  await after?.(api, outcome.action);
}

interface IsolateOptions extends WaitFlags {
  selective?: boolean;
  exclude?: IsolationExclusion[];
  allowDns?: boolean;
  allowDhcp?: boolean;
}

export function registerDevice(program: Command): void {
  const device = program
    .command('device')
    .description(
      'act on one device: isolate, release, restrict, scan, collect, its quarantined files (see `quell devices`)',
    );

  withActionFlags(
    device
      .command('isolate')
      .description('cut the device off the network except its channel to Quell')
      .option('--selective', 'keep the --exclude allowances reachable')
      .option(
        '--exclude <rule>',
        `with --selective: traffic that stays allowed (repeatable); ${EXCLUDE_FORMAT}`,
        (v, p?: IsolationExclusion[]) => parseExclusion(v, p),
      )
      .option('--allow-dns', 'keep DNS (port 53) open')
      .option('--allow-dhcp', 'keep DHCP (ports 67/68) open'),
  ).action(async (id: string, o: IsolateOptions, cmd: Command) => {
    if (o.exclude?.length && !o.selective) {
      throw new CliError('--exclude needs --selective (full isolation allows nothing)', 'QUELL_E_INPUT');
    }
    await runDeviceAction(cmd, 'isolate_device', id, o, {
      mode: o.selective ? 'selective' : 'full',
      ...(o.exclude?.length && { exclusions: o.exclude }),
      ...(o.allowDns && { allowDns: true }),
      ...(o.allowDhcp && { allowDhcp: true }),
    });
  });

  const simple: Array<[string, ActionType, string]> = [
    ['release', 'release_device', 'restore normal network access'],
    ['restrict', 'restrict_app_execution', 'let only binaries Quell trusts start'],
    ['unrestrict', 'remove_app_restriction', 'let any binary start again'],
  ];
  for (const [name, type, description] of simple) {
    withActionFlags(device.command(name).description(description)).action(
      async (id: string, o: WaitFlags, cmd: Command) => runDeviceAction(cmd, type, id, o),
    );
  }

  withActionFlags(
    device
      .command('scan')
      .description('scan with YARA and ClamAV (quick by default); detections become alerts')
      .option('--full', 'scan the whole file system instead of the usual places'),
  ).action(async (id: string, o: WaitFlags & { full?: boolean }, cmd: Command) =>
    runDeviceAction(cmd, 'run_av_scan', id, o, { scope: o.full ? 'full' : 'quick' }),
  );

  withActionFlags(
    device
      .command('collect')
      .description('gather processes, connections, persistence, logs and users into a package')
      .option('--download <file>', 'with --wait (implied): save the package here when it is ready'),
  ).action(async (id: string, o: WaitFlags & { download?: string }, cmd: Command) => {
    const file = o.download;
    await runDeviceAction(
      cmd,
      'collect_investigation_package',
      id,
      { ...o, wait: o.wait === true || file !== undefined },
      {},
      file === undefined ? undefined : async (_api, a) => downloadPackage(cmd, a.id, file),
    );
  });

  registerDeviceQuarantine(device);
}
