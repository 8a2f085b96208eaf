import { posix } from 'node:path';
import type { Severity } from '@quell/core';
import { isLoopback } from './network.js';
import { persistenceKind, PRIVATE_KEY_FILES, SHADOW_FILES } from './persistence-paths.js';
import type { Behaviour, DnsQuery, FileRecord, NetworkAttempt } from './report.schema.js';
import type { AttackTactic, BehaviourId, PersistenceKind } from './sandbox.vocab.js';
import type { SampleScope } from './sample-scope.js';
import type { EventOf, TraceEvent } from './trace-events.js';

/** Tunables of the rules. */
export interface RuleOptions {
  /** Distinct files written, renamed or deleted that count as mass changes (T1486). Default 50. */
  massChangeThreshold: number;
  /** A single sleep at least this long counts as outwaiting analysis (T1497.003). Default 30 s. */
  longSleepMs: number;
}

export const DEFAULT_RULE_OPTIONS: Readonly<RuleOptions> = Object.freeze({
  massChangeThreshold: 50,
  longSleepMs: 30_000,
});

export interface RuleInput {
  scope: SampleScope;
  files: readonly FileRecord[];
  network: readonly NetworkAttempt[];
  dns: readonly DnsQuery[];
}

/** What every rule gets: the input plus views computed once. */
interface RuleContext extends RuleInput {
  options: RuleOptions;
  /** `pid 12 (/usr/bin/bash): openat(…) = 3` — an event as a line of evidence. */
  cite(e: TraceEvent): string;
  events<T extends TraceEvent['type']>(type: T): EventOf<T>[];
  /** Paths the sample wrote to (opened for writing, renamed or linked into place), with their evidence. */
  writes: { path: string; evidence: string }[];
}

interface Rule {
  id: BehaviourId;
  title: string;
  techniqueId: string;
  tactic: AttackTactic;
  severity: Severity;
  /** Evidence lines; none means the behaviour was not seen. */
  match(ctx: RuleContext): string[];
}

const MAX_EVIDENCE = 10;
const PTRACE_INJECTION = new Set([
  'PTRACE_ATTACH',
  'PTRACE_SEIZE',
  'PTRACE_POKETEXT',
  'PTRACE_POKEDATA',
  'PTRACE_POKEUSER',
  'PTRACE_SETREGS',
  'PTRACE_SETREGSET',
]);
const SUDO_LIKE = new Set(['sudo', 'su', 'pkexec', 'doas']);
/** Ports of application-layer protocols malware tunnels through (web, mail, DNS, FTP, IRC). */
const APP_PORTS = new Set([21, 25, 53, 80, 110, 143, 443, 465, 587, 993, 995, 6667, 8000, 8080, 8443]);
const SETID_MODE_BITS = 0o6000;

/** Writes into a persistence location of `kind`, from the trace and from the files diff. */
function persistence(kind: PersistenceKind): (ctx: RuleContext) => string[] {
  return (ctx) => [
    ...ctx.writes.filter((w) => persistenceKind(w.path) === kind).map((w) => w.evidence),
    ...ctx.files
      .filter((f) => f.change !== 'deleted' && persistenceKind(f.path) === kind)
      .map((f) => `${f.change} ${f.path}`),
  ];
}

/** Executions (attempted, unless the file did not exist) of a program named in `names`. */
function execsOf(
  ctx: RuleContext,
  names: ReadonlySet<string>,
  argvTest: (argv: string[]) => boolean = () => true,
) {
  return ctx
    .events('exec')
    .filter((e) => names.has(posix.basename(e.path)) && e.errno !== 'ENOENT' && argvTest(e.argv))
    .map((e) => ctx.cite(e));
}

function reads(ctx: RuleContext, re: RegExp): string[] {
  return ctx
    .events('open')
    .filter((e) => !e.write && !e.flags.includes('O_PATH') && !e.flags.includes('O_DIRECTORY'))
    .filter((e) => re.test(e.path) || (e.realPath !== null && re.test(e.realPath)))
    .map((e) => ctx.cite(e));
}

function remote(ctx: RuleContext, test: (a: NetworkAttempt) => boolean): string[] {
  return ctx.network
    .filter((a) => !isLoopback(a.address) && test(a))
    .map(
      (a) =>
        `pid ${a.pid}: ${a.protocol} ${a.family === 'ipv6' ? `[${a.address}]` : a.address}:${a.port} ${a.result}` +
        (a.count > 1 ? ` (${a.count}×)` : ''),
    );
}

/** The behaviour table. Each row is one ATT&CK technique and how it shows in a trace. */
export const BEHAVIOUR_RULES: readonly Rule[] = [
  {
    id: 'cron_persistence',
    title: 'Scheduled a cron job',
    techniqueId: 'T1053.003',
    tactic: 'persistence',
    severity: 'high',
    match: (ctx) => [
      ...persistence('cron')(ctx),
      ...execsOf(ctx, new Set(['crontab']), (argv) => !argv.includes('-l')),
    ],
  },
  {
    id: 'systemd_service_persistence',
    title: 'Installed or enabled a systemd service',
    techniqueId: 'T1543.002',
    tactic: 'persistence',
    severity: 'high',
    match: (ctx) => [
      ...persistence('systemd_service')(ctx),
      ...execsOf(ctx, new Set(['systemctl']), (argv) => argv.includes('enable')),
    ],
  },
  {
    id: 'systemd_timer_persistence',
    title: 'Installed a systemd timer',
    techniqueId: 'T1053.006',
    tactic: 'persistence',
    severity: 'high',
    match: persistence('systemd_timer'),
  },
  {
    id: 'shell_rc_persistence',
    title: 'Modified a shell startup file',
    techniqueId: 'T1546.004',
    tactic: 'persistence',
    severity: 'high',
    match: persistence('shell_rc'),
  },
  {
    id: 'ld_preload_hijack',
    title: 'Wrote /etc/ld.so.preload (library preloading into every process)',
    techniqueId: 'T1574.006',
    tactic: 'persistence',
    severity: 'high',
    match: persistence('ld_preload'),
  },
  {
    id: 'ssh_authorized_keys',
    title: 'Added SSH authorized keys',
    techniqueId: 'T1098.004',
    tactic: 'persistence',
    severity: 'high',
    match: persistence('authorized_keys'),
  },
  {
    id: 'shadow_read',
    title: 'Read the password hash store',
    techniqueId: 'T1003.008',
    tactic: 'credential-access',
    severity: 'high',
    match: (ctx) => reads(ctx, SHADOW_FILES),
  },
  {
    id: 'private_key_read',
    title: 'Read SSH private keys',
    techniqueId: 'T1552.004',
    tactic: 'credential-access',
    severity: 'high',
    match: (ctx) => reads(ctx, PRIVATE_KEY_FILES),
  },
  {
    id: 'setuid_setgid',
    title: 'Changed user or group identity, or set the setuid/setgid bit',
    techniqueId: 'T1548.001',
    tactic: 'privilege-escalation',
    severity: 'medium',
    match: (ctx) => [
      ...ctx.events('setid').map((e) => ctx.cite(e)),
      ...ctx
        .events('chmod')
        .filter((e) => e.mode !== null && (e.mode & SETID_MODE_BITS) !== 0)
        .map((e) => ctx.cite(e)),
    ],
  },
  {
    id: 'sudo_exec',
    title: 'Ran sudo, su or pkexec',
    techniqueId: 'T1548.003',
    tactic: 'privilege-escalation',
    severity: 'medium',
    match: (ctx) => execsOf(ctx, SUDO_LIKE),
  },
  {
    id: 'sudoers_modified',
    title: 'Modified the sudoers policy',
    techniqueId: 'T1548.003',
    tactic: 'privilege-escalation',
    severity: 'high',
    match: persistence('sudoers'),
  },
  {
    id: 'ptrace_injection',
    title: 'Attached to or wrote into another process with ptrace',
    techniqueId: 'T1055.008',
    tactic: 'defense-evasion',
    severity: 'high',
    match: (ctx) =>
      ctx
        .events('ptrace')
        .filter((e) => PTRACE_INJECTION.has(e.request))
        .map((e) => ctx.cite(e)),
  },
  {
    id: 'self_deletion',
    title: 'Deleted its own executable',
    techniqueId: 'T1070.004',
    tactic: 'defense-evasion',
    severity: 'medium',
    match: (ctx) => {
      const images = new Set(
        ctx
          .events('exec')
          .filter((e) => e.ok !== false)
          .map((e) => e.path),
      );
      return ctx
        .events('unlink')
        .filter((e) => e.ok !== false && images.has(e.path))
        .map((e) => ctx.cite(e));
    },
  },
  {
    id: 'mass_file_changes',
    title: 'Wrote, renamed or deleted many files (ransomware-like)',
    techniqueId: 'T1486',
    tactic: 'impact',
    severity: 'high',
    match: (ctx) => {
      const touched = new Set(ctx.writes.map((w) => w.path).filter((p) => !/^\/(?:dev|proc)\//.test(p)));
      for (const e of ctx.events('unlink')) if (e.ok !== false && !e.directory) touched.add(e.path);
      if (touched.size < ctx.options.massChangeThreshold) return [];
      const sample = [...touched].slice(0, 5).join(', ');
      return [
        `${touched.size} files written, renamed or deleted (threshold ${ctx.options.massChangeThreshold}), e.g. ${sample}`,
      ];
    },
  },
  {
    id: 'long_sleep',
    title: 'Slept long enough to outwait analysis',
    techniqueId: 'T1497.003',
    tactic: 'defense-evasion',
    severity: 'medium',
    match: (ctx) =>
      ctx
        .events('sleep')
        .filter((e) => e.ms >= ctx.options.longSleepMs)
        .map((e) => `${ctx.cite(e)} (${Math.round(e.ms / 1000)} s)`),
  },
  {
    id: 'network_app_protocol',
    title: 'Contacted a remote host on an application-layer protocol port',
    techniqueId: 'T1071',
    tactic: 'command-and-control',
    severity: 'medium',
    match: (ctx) => remote(ctx, (a) => APP_PORTS.has(a.port) && a.protocol !== 'raw'),
  },
  {
    id: 'network_non_app_protocol',
    title: 'Contacted a remote host on a non-standard port or over raw sockets',
    techniqueId: 'T1095',
    tactic: 'command-and-control',
    severity: 'medium',
    match: (ctx) => [
      ...remote(ctx, (a) => !APP_PORTS.has(a.port) || a.protocol === 'raw'),
      ...ctx
        .events('socket')
        .filter(
          (e) =>
            /^AF_INET6?$/.test(e.domain) && (e.socketType.startsWith('SOCK_RAW') || /ICMP/.test(e.protocol)),
        )
        .map((e) => ctx.cite(e)),
    ],
  },
  {
    id: 'dns_lookup',
    title: 'Looked up host names',
    techniqueId: 'T1071.004',
    tactic: 'command-and-control',
    severity: 'low',
    match: (ctx) =>
      ctx.dns.map((q) => `${q.type} ${q.name} via ${q.server}` + (q.count > 1 ? ` (${q.count}×)` : '')),
  },
];

function context(input: RuleInput, options: RuleOptions): RuleContext {
  const images = new Map<number, string>();
  for (const e of input.scope.events) if (e.type === 'exec' && e.ok !== false) images.set(e.pid, e.path);
  const cite = (e: TraceEvent) =>
    `pid ${e.pid}${images.has(e.pid) ? ` (${images.get(e.pid)})` : ''}: ${e.raw}`;
  const byType = new Map<string, TraceEvent[]>();
  for (const e of input.scope.events) {
    const list = byType.get(e.type) ?? [];
    list.push(e);
    byType.set(e.type, list);
  }
  const events = <T extends TraceEvent['type']>(type: T) => (byType.get(type) ?? []) as EventOf<T>[];
  const writes: { path: string; evidence: string }[] = [];
  for (const e of events('open')) {
    if (!e.write) continue;
    writes.push({ path: e.path, evidence: cite(e) });
    if (e.realPath && e.realPath !== e.path) writes.push({ path: e.realPath, evidence: cite(e) });
  }
  for (const e of events('rename')) if (e.ok !== false) writes.push({ path: e.to, evidence: cite(e) });
  for (const e of events('link')) if (e.ok !== false) writes.push({ path: e.path, evidence: cite(e) });
  return { ...input, options, cite, events, writes };
}

function capped(lines: string[]): string[] {
  const unique = [...new Set(lines)];
  if (unique.length <= MAX_EVIDENCE) return unique;
  return [...unique.slice(0, MAX_EVIDENCE), `… and ${unique.length - MAX_EVIDENCE} more`];
}

/** Runs every rule over a detonation's events and file changes. Pure and deterministic. */
export function detectBehaviours(input: RuleInput, options: Partial<RuleOptions> = {}): Behaviour[] {
  const ctx = context(input, { ...DEFAULT_RULE_OPTIONS, ...options });
  const out: Behaviour[] = [];
  for (const rule of BEHAVIOUR_RULES) {
    const evidence = rule.match(ctx);
    if (!evidence.length) continue;
    const { id, title, techniqueId, tactic, severity } = rule;
    out.push({ id, title, techniqueId, tactic, severity, evidence: capped(evidence) });
  }
  return out;
}
