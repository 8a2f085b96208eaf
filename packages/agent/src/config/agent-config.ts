import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DEFAULT_HELPER_PATH } from '../exec-control/index.js';
import { DNS_BLOCK_MODES, type DnsBlockMode } from '../indicators/dns/dns-block-modes.js';
import { LOG_LEVELS } from '../log.js';

/** Where `quell-agent` reads its config unless `--config` says otherwise. */
export const DEFAULT_CONFIG_PATH = '/etc/quell/agent.json';

const Sha256Hex = Type.String({ pattern: '^[a-f0-9]{64}$', description: '64 lowercase hex digits' });
const AbsolutePath = Type.String({ minLength: 1, pattern: '^/', description: 'an absolute path' });

/**
 * The agent's config file, JSON, default `/etc/quell/agent.json` (`--config` overrides).
 * `quell-agent enroll` writes `serverUrl`, `certSha256`, `deviceId` and `stateDir`; the rest are
 * optional overrides.
 *
 * | key | meaning | default |
 * |---|---|---|
 * | `serverUrl` | the agent listener, `https://host[:port]` | required |
 * | `certSha256` | SHA-256 (hex, lowercase) of the listener's certificate, pinned | required |
 * | `deviceId` | this device's id, set by enroll | absent until enrolled |
 * | `stateDir` | keys, executed actions, outbox, desired state | `/var/lib/quell-agent` |
 * | `fsRoot` | filesystem root the agent inspects (tests point it at a temp tree) | `/` |
 * | `management` | `[{address, port}]` isolation always leaves open | resolved from `serverUrl` |
 * | `heartbeatMs` | heartbeat interval, ms | the server's (welcome) |
 * | `logLevel` | `debug`, `info`, `warn`, `error` | `info` |
 * | `nft.table` | name of Quell's `inet` table | `quell` |
 * | `nft.commandPrefix` | argv prefix before `nft` (tests: `ip netns exec …`) | none |
 * | `execControl.enabled` | restrict app execution is available here | `true` |
 * | `execControl.helperPath` | the fanotify helper binary | the package's `native/build/quell-execd` |
 * | `execControl.marks` | mounts the helper marks | `["/"]` |
 * | `scan.cpuLimit` | fraction of one core a scan may use | `0.5` |
 * | `scan.clamdSocket` | clamd's unix socket | `/run/clamav/clamd.ctl` |
 * | `scan.yaraPath` | the `yara` binary | `yara` (from PATH) |
 * | `dpkgDir` | dpkg database (package-owned files and checksums) | `/var/lib/dpkg` |
 * | `dns.enabled` | enforce domain and URL indicators through the DNS filter | `true` |
 * | `dns.upstreams` | `[{address, port}]` resolvers for allowed names | the non-loopback nameservers of `<fsRoot>/etc/resolv.conf`, then `/run/systemd/resolve/resolv.conf` |
 * | `dns.filterUid` | uid owning the filter's sockets, exempt from the redirect | the `quell-dns` account's, else `DEFAULT_DNS_FILTER_UID` |
 * | `dns.blockMode` | `nxdomain` or `sinkhole` (0.0.0.0 / ::) | `nxdomain` |
 * | `dns.port` | the filter's loopback port | any free one |
 * | `observe.execIntervalMs` | how often running images are listed and reported (file observations); `0` turns it off | `30000` |
 * | `remediation.watchPaths` | device paths (under `fsRoot`) watched for new copies of block-and-remediate hashes; `[]` turns the watcher off | `/tmp`, `/var/tmp`, `/dev/shm`, `/home`, `/root` |
 * | `remediation.maxWatchedDirs` | directories watched at most (one inotify watch each) | `8192` |
 */
export const AgentConfigFile = Type.Object(
  {
    serverUrl: Type.String({ pattern: '^https://[^/\\s]+/?$', description: 'https://host[:port]' }),
    certSha256: Sha256Hex,
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    stateDir: Type.Optional(AbsolutePath),
    fsRoot: Type.Optional(AbsolutePath),
    management: Type.Optional(
      Type.Array(
        Type.Object(
          {
            address: Type.String({ minLength: 2, maxLength: 64 }),
            port: Type.Integer({ minimum: 1, maximum: 65535 }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 16 },
      ),
    ),
    heartbeatMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 600_000 })),
    logLevel: Type.Optional(Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)))),
    nft: Type.Optional(
      Type.Object(
        {
          table: Type.Optional(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$' })),
          commandPrefix: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 16 })),
        },
        { additionalProperties: false },
      ),
    ),
    execControl: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          helperPath: Type.Optional(AbsolutePath),
          marks: Type.Optional(Type.Array(AbsolutePath, { minItems: 1, maxItems: 64 })),
        },
        { additionalProperties: false },
      ),
    ),
    scan: Type.Optional(
      Type.Object(
        {
          cpuLimit: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 64 })),
          clamdSocket: Type.Optional(AbsolutePath),
          yaraPath: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    dpkgDir: Type.Optional(AbsolutePath),
    dns: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          upstreams: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  address: Type.String({
                    minLength: 2,
                    maxLength: 64,
                    description: 'an IPv4 or IPv6 address',
                  }),
                  port: Type.Integer({ minimum: 1, maximum: 65535 }),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 8 },
            ),
          ),
          filterUid: Type.Optional(Type.Integer({ minimum: 1, maximum: 4_294_967_294 })),
          blockMode: Type.Optional(Type.Union(DNS_BLOCK_MODES.map((m) => Type.Literal(m)))),
          port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
        },
        { additionalProperties: false },
      ),
    ),
    observe: Type.Optional(
      Type.Object(
        {
          execIntervalMs: Type.Optional(
            Type.Integer({ minimum: 0, maximum: 86_400_000, description: 'ms; 0 turns it off' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    remediation: Type.Optional(
      Type.Object(
        {
          watchPaths: Type.Optional(Type.Array(AbsolutePath, { maxItems: 64 })),
          maxWatchedDirs: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AgentConfigFile = Static<typeof AgentConfigFile>;

/** The config with every default filled in; what the runtime uses. */
export interface AgentConfig {
  serverUrl: string;
  certSha256: string;
  deviceId: string | null;
  stateDir: string;
  fsRoot: string;
  /** Null: resolve from `serverUrl`. */
  management: { address: string; port: number }[] | null;
  /** Null: use the server's. */
  heartbeatMs: number | null;
  logLevel: (typeof LOG_LEVELS)[number];
  nft: { table: string; commandPrefix: string[] };
  execControl: { enabled: boolean; helperPath: string; marks: string[] };
  scan: { cpuLimit: number; clamdSocket: string; yaraPath: string };
  dpkgDir: string;
  /** Domain/URL enforcement; null values: discovered at run time (see the table above). */
  dns: {
    enabled: boolean;
    upstreams: { address: string; port: number }[] | null;
    filterUid: number | null;
    blockMode: DnsBlockMode;
    port: number | null;
  };
  /** File observations (issue 4); absent: the defaults. */
  observe?: { execIntervalMs: number };
  /** Block-and-remediate hash indicators: where new copies are watched for. */
  remediation: { watchPaths: string[]; maxWatchedDirs: number };
}

export const CONFIG_DEFAULTS = {
  stateDir: '/var/lib/quell-agent',
  fsRoot: '/',
  logLevel: 'info',
  nftTable: 'quell',
  helperPath: DEFAULT_HELPER_PATH,
  marks: ['/'],
  cpuLimit: 0.5,
  clamdSocket: '/run/clamav/clamd.ctl',
  yaraPath: 'yara',
  dpkgDir: '/var/lib/dpkg',
  execObserveIntervalMs: 30_000,
  watchPaths: ['/tmp', '/var/tmp', '/dev/shm', '/home', '/root'],
  maxWatchedDirs: 8192,
} as const;

const check = TypeCompiler.Compile(AgentConfigFile);

/**
 * Every problem with a parsed config file, one line each (`/scan/cpuLimit: Expected number…`),
 * so an operator fixes them all in one go. Empty when valid.
 */
export function configProblems(raw: unknown): string[] {
  if (check.Check(raw)) return [];
  const byPath = new Map<string, string>();
  for (const e of check.Errors(raw)) {
    const where = e.path || '(root)';
    if (byPath.has(where)) continue;
    const hint = (e.schema as { description?: string }).description;
    let msg = e.message;
    if (msg.startsWith('Unexpected property')) msg = 'unknown key';
    else if (msg.startsWith('Expected required property')) msg = 'required key is missing';
    else if (where === '/logLevel') msg = `expected one of ${LOG_LEVELS.join(', ')}`;
    byPath.set(where, `${where}: ${msg}${hint ? ` (${hint})` : ''}`);
  }
  return [...byPath.values()];
}

/** Fills in defaults; `file` must have passed {@link configProblems}. */
export function withDefaults(file: AgentConfigFile): AgentConfig {
  return {
    serverUrl: file.serverUrl.replace(/\/$/, ''),
    certSha256: file.certSha256,
    deviceId: file.deviceId ?? null,
    stateDir: file.stateDir ?? CONFIG_DEFAULTS.stateDir,
    fsRoot: file.fsRoot ?? CONFIG_DEFAULTS.fsRoot,
    management: file.management ?? null,
    heartbeatMs: file.heartbeatMs ?? null,
    logLevel: file.logLevel ?? CONFIG_DEFAULTS.logLevel,
    nft: {
      table: file.nft?.table ?? CONFIG_DEFAULTS.nftTable,
      commandPrefix: file.nft?.commandPrefix ?? [],
    },
    execControl: {
      enabled: file.execControl?.enabled ?? true,
      helperPath: file.execControl?.helperPath ?? CONFIG_DEFAULTS.helperPath,
      marks: file.execControl?.marks ?? [...CONFIG_DEFAULTS.marks],
    },
    scan: {
      cpuLimit: file.scan?.cpuLimit ?? CONFIG_DEFAULTS.cpuLimit,
      clamdSocket: file.scan?.clamdSocket ?? CONFIG_DEFAULTS.clamdSocket,
      yaraPath: file.scan?.yaraPath ?? CONFIG_DEFAULTS.yaraPath,
    },
    dpkgDir: file.dpkgDir ?? CONFIG_DEFAULTS.dpkgDir,
    dns: {
      enabled: file.dns?.enabled ?? true,
      upstreams: file.dns?.upstreams ?? null,
      filterUid: file.dns?.filterUid ?? null,
      blockMode: file.dns?.blockMode ?? 'nxdomain',
      port: file.dns?.port ?? null,
    },
    observe: { execIntervalMs: file.observe?.execIntervalMs ?? CONFIG_DEFAULTS.execObserveIntervalMs },
    remediation: {
      watchPaths: file.remediation?.watchPaths ?? [...CONFIG_DEFAULTS.watchPaths],
      maxWatchedDirs: file.remediation?.maxWatchedDirs ?? CONFIG_DEFAULTS.maxWatchedDirs,
    },
  };
}
