import type { IsolationExclusion } from '@quell/contracts/agent';
import type { ExclusionProtocol, TrafficDirection } from '@quell/core';
import type { IsolationTarget } from '../ports.js';
import { InvalidIsolationTargetError } from './firewall.errors.js';
import { parseIpNetwork } from './ip-address.js';

/** Quell's own nftables table (family `inet`, so one table covers IPv4 and IPv6). */
export const DEFAULT_TABLE = 'quell';

/**
 * Chain priority `filter - 10` (-10): after conntrack (-200), so `ct state` is known on the output
 * hook too, and before the usual filter chains. Priority cannot make another table's `accept`
 * override ours: in nftables a `drop` in any base chain is final, so Quell's drop wins either way.
 */
const PRIORITY = 'filter - 10';

const HOOKS = ['input', 'output', 'forward'] as const;
type Hook = (typeof HOOKS)[number];

/** The nft input for one isolation target, and what `nft list table` must print back for it. */
export interface IsolationRuleset {
  /** One `nft -f -` transaction: create-if-missing, delete, re-create. Atomic and idempotent. */
  script: string;
  /** The table as `nft list table inet <name>` prints it (compare via {@link normaliseRuleset}). */
  expected: string;
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** Checks a table name before it is placed in a script; throws {@link InvalidIsolationTargetError}. */
export function validateTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new InvalidIsolationTargetError(
      `nftables table name ${JSON.stringify(table.slice(0, 40))} must be a letter then up to 31 letters, digits or _`,
      { table: table.slice(0, 40) },
    );
  }
  return table;
}

/**
 * Builds the isolation table for `target`. Policy `drop` on input, output and forward; accepted:
 * loopback; the management endpoints (TCP, both directions, stateless so a connection opened
 * before isolation keeps flowing whatever conntrack knows about it); IPv6 neighbour discovery
 * (without it no IPv6 path, management included, survives); DHCP/DNS when allowed; and in
 * `selective` mode the exclusions. `full` mode ignores exclusions. Established connections are
 * not accepted wholesale: full isolation must cut sessions that were open before it.
 *
 * Drop rather than reject: an isolated device should not answer probes, and the agent's own
 * channel never hits the drop.
 *
 * Every address is parsed and re-printed by {@link parseIpNetwork}, every number range-checked,
 * so no text from the spec reaches the script as given.
 */
export function buildIsolationRuleset(target: IsolationTarget, table = DEFAULT_TABLE): IsolationRuleset {
  validateTableName(table);
  const rules: Record<Hook, string[]> = {
    input: ['iif "lo" accept'],
    output: ['oif "lo" accept'],
    forward: [],
  };
  if (target.management.length === 0) {
    throw new InvalidIsolationTargetError(
      'isolation needs at least one management endpoint, or it would cut the agent off',
      {},
    );
  }
  for (const [i, m] of target.management.entries()) {
    const net = parseIpNetwork(m.address, `management[${i}].address`);
    const port = checkPort(m.port, `management[${i}].port`);
    rules.output.push(`${net.family} daddr ${net.text} tcp dport ${port} accept`);
    rules.input.push(`${net.family} saddr ${net.text} tcp sport ${port} accept`);
  }
  if (target.spec.allowDhcp) {
    rules.output.push('udp sport 68 udp dport 67 accept', 'udp sport 546 udp dport 547 accept');
    rules.input.push('udp sport 67 udp dport 68 accept', 'udp sport 547 udp dport 546 accept');
  }
  if (target.spec.allowDns) {
    rules.output.push('meta l4proto { tcp, udp } th dport 53 accept');
    rules.input.push('meta l4proto { tcp, udp } th sport 53 ct state established accept');
  }
  const nd =
    'icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept';
  rules.output.push(nd);
  rules.input.push(nd);
  if (target.spec.mode === 'selective') {
    for (const [i, ex] of target.spec.exclusions.entries()) addExclusion(rules, ex, `exclusions[${i}]`);
  }
  const body = HOOKS.map(
    (hook) =>
      `\tchain ${hook} {\n\t\ttype filter hook ${hook} priority ${PRIORITY}; policy drop;\n` +
      rules[hook].map((r) => `\t\t${r}\n`).join('') +
      '\t}\n',
  ).join('\n');
  const expected = `table inet ${table} {\n${body}}\n`;
  return { script: `table inet ${table} {}\ndelete table inet ${table}\n${expected}`, expected };
}

/** The `nft -f -` input that removes Quell's table, succeeding also when it is already gone. */
export function buildRemovalScript(table = DEFAULT_TABLE): string {
  validateTableName(table);
  return `table inet ${table} {}\ndelete table inet ${table}\n`;
}

/**
 * Normalises `nft list` output (or {@link IsolationRuleset.expected}) for comparison and hashing:
 * drops handle comments, blank lines and indentation, and collapses runs of spaces.
 */
export function normaliseRuleset(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/#\s*handle\s+\d+/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((line) => line !== '')
    .join('\n');
}

/**
 * Semantics of an exclusion's `port`: the service port of the flow, i.e. the remote's port for
 * outbound connections and the device's listening port for inbound ones. Replies are accepted
 * only as part of a tracked connection (`ct state established`).
 */
function addExclusion(rules: Record<Hook, string[]>, ex: IsolationExclusion, what: string): void {
  const net = parseIpNetwork(ex.remote, `${what}.remote`);
  const port = ex.port === undefined ? null : checkPort(ex.port, `${what}.port`);
  const protocol = checkMember<ExclusionProtocol>(
    ex.protocol ?? 'any',
    ['tcp', 'udp', 'any'],
    `${what}.protocol`,
  );
  const direction = checkMember<TrafficDirection>(
    ex.direction ?? 'both',
    ['outbound', 'inbound', 'both'],
    `${what}.direction`,
  );
  const match = (side: 'sport' | 'dport'): string => portMatch(protocol, port, side);
  const addr = (side: 'saddr' | 'daddr') => `${net.family} ${side} ${net.text}`;
  if (direction !== 'inbound') {
    rules.output.push(join(addr('daddr'), match('dport'), 'accept'));
    rules.input.push(join(addr('saddr'), match('sport'), 'ct state established,related accept'));
  }
  if (direction !== 'outbound') {
    rules.input.push(join(addr('saddr'), match('dport'), 'accept'));
    rules.output.push(join(addr('daddr'), match('sport'), 'ct state established,related accept'));
  }
}

function portMatch(protocol: ExclusionProtocol, port: number | null, side: 'sport' | 'dport'): string {
  if (protocol === 'any') return port === null ? '' : `meta l4proto { tcp, udp } th ${side} ${port}`;
  return port === null ? `meta l4proto ${protocol}` : `${protocol} ${side} ${port}`;
}

function join(...parts: string[]): string {
  return parts.filter((p) => p !== '').join(' ');
}

function checkPort(port: unknown, what: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidIsolationTargetError(`${what} must be an integer 1-65535`, { [what]: port });
  }
  return port;
}

function checkMember<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidIsolationTargetError(`${what} must be one of ${allowed.join(', ')}`, { [what]: value });
  }
  return value as T;
}
