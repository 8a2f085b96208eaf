import { execFile, spawn as spawnChild, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createInterface } from 'node:readline';

/**
 * A throwaway network lab for agent tests (needs root): one namespace per node, all joined by a
 * bridge in a private `lan` namespace, plus (by default) a veth from the test process's own
 * namespace onto that LAN, so a server started in the test process is reachable from the nodes
 * at {@link NetLab.ip}(`ROOT`). The root end of that veth is the only thing the lab adds to the
 * host: one link with an address in a /24 chosen not to overlap the host's routes, and no
 * firewall rules. {@link NetLab.destroy} removes everything, also after a half-built setup.
 *
 *     const lab = await createLab({ nodes: ['dev', 'peer'] });
 *     await lab.listen('peer', 8080);
 *     expect(await lab.canConnect('dev', lab.ip('peer'), 8080)).toBe(true);
 *     await lab.destroy();
 */

/** The test process's own (root) network namespace, as a node name. */
export const ROOT = 'root' as const;

export interface LabOptions {
  /** Node namespaces on the LAN. Default `['dev', 'peer']`. Names: letters/digits, ≤ 8 chars. */
  nodes?: readonly string[];
  /** Add the veth from the root namespace to the LAN. Default true. */
  rootLink?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A TCP echo server running in a node. */
export interface LabListener {
  port: number;
  close(): void;
}

/** A TCP connection opened from a node and kept open, to check it survives changes. */
export interface LabConnection {
  /** Sends a line and waits for its echo; false when nothing came back in time. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

export interface NetLab {
  /** Random per-lab id, also the suffix of every name the lab creates. */
  readonly id: string;
  readonly nodes: readonly string[];
  /** The namespace name of a node, for `ip netns exec`. */
  nsName(node: string): string;
  /** Argv prefix that runs a command in `node` (empty for {@link ROOT}). */
  prefix(node: string): string[];
  /** The node's IPv4 address on the LAN (`ROOT`: the root end of the veth). */
  ip(node: string): string;
  /** The node's IPv6 (ULA) address on the LAN. */
  ip6(node: string): string;
  /** Runs a command in a node; resolves with its exit code and output (does not throw on failure). */
  exec(
    node: string,
    cmd: string,
    args: readonly string[],
    opts?: { input?: string; timeoutMs?: number },
  ): Promise<ExecResult>;
  /** Like {@link exec} but throws with the stderr when the exit code is not 0. */
  execOk(node: string, cmd: string, args: readonly string[], opts?: { input?: string }): Promise<string>;
  /** Starts a long-running process in a node; the lab kills it on destroy. */
  spawn(node: string, cmd: string, args: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** Starts a TCP echo server in a node on `host` (default all addresses). */
  listen(node: string, port: number, host?: string): Promise<LabListener>;
  /** Whether a TCP handshake from `from` to `ip:port` completes within `timeoutMs` (default 1000). */
  canConnect(from: string, ip: string, port: number, timeoutMs?: number): Promise<boolean>;
  /** Opens a TCP connection from `from` to an echo server and keeps it open. */
  connect(from: string, ip: string, port: number, timeoutMs?: number): Promise<LabConnection>;
  /** Kills spawned processes, deletes the root veth and every namespace. Safe to call twice. */
  destroy(): Promise<void>;
}

const NODE_NAME = /^[a-z][a-z0-9]{0,7}$/;
const ECHO_SERVER = `const [port, host] = process.argv.slice(1);
require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); })
  .listen(Number(port), host || undefined, () => console.log('listening'));`;
const PROBE = `const [host, port, ms] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port) });
setTimeout(() => process.exit(2), Number(ms));
s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(1));`;
const CLIENT = `const [host, port] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port) }, () => console.log('connected'));
process.stdin.pipe(s); s.pipe(process.stdout);
s.on('error', (e) => { console.error(e.message); process.exit(1); }); s.on('close', () => process.exit(0));`;

/** Runs argv without a shell. */
export function run(
  argv: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    const child = execFile(
      file!,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && code === -1 ? err.message : '') });
      },
    );
    // A command that exits without reading stdin makes this write fail with EPIPE; harmless.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

async function runOk(argv: readonly string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** A 10.x.y.0/24 the host does not route yet (x in 200-249), so the root veth shadows nothing. */
async function freeSubnet(): Promise<[number, number]> {
  const routes =
    (await runOk(['ip', '-4', 'route', 'show', 'table', 'all'])) + (await runOk(['ip', '-4', 'addr']));
  for (let i = 0; i < 50; i++) {
    const x = randomInt(200, 250);
    const y = randomInt(0, 256);
    if (
      !routes.includes(`10.${x}.${y}.`) &&
      !routes.includes(`10.${x}.0.0/16`) &&
      !/\b10\.0\.0\.0\/8\b/.test(routes)
    ) {
      return [x, y];
    }
  }
  throw new Error('no free 10.x.y.0/24 for the test lab');
}

/** Builds the lab. On any failure it tears down what it built before rethrowing. */
export async function createLab(opts: LabOptions = {}): Promise<NetLab> {
  const nodes = [...(opts.nodes ?? ['dev', 'peer'])];
  for (const n of nodes)
    if (!NODE_NAME.test(n) || n === ROOT || n === 'lan') throw new Error(`bad lab node name ${n}`);
  const id = randomBytes(3).toString('hex');
  const [x, y] = await freeSubnet();
  const hex = randomBytes(4).toString('hex');
  const v6net = `fd77:${hex.slice(0, 4)}:${hex.slice(4)}:${y.toString(16)}`;
  const host = (node: string): number => (node === ROOT ? 1 : 10 + nodes.indexOf(node));
  const lab = new Lab(
    id,
    nodes,
    (n) => `10.${x}.${y}.${host(n)}`,
    (n) => `${v6net}::${host(n).toString(16)}`,
    opts.rootLink ?? true,
  );
  try {
    await lab.build();
  } catch (err) {
    await lab.destroy();
    throw err;
  }
  return lab;
}

class Lab implements NetLab {
  private readonly children = new Set<ChildProcess>();
  private readonly created: string[] = [];
  private rootLinkCreated = false;
  private readonly lan: string;
  private readonly rootVeth: string;

  constructor(
    readonly id: string,
    readonly nodes: readonly string[],
    private readonly v4: (node: string) => string,
    private readonly v6: (node: string) => string,
    private readonly withRoot: boolean,
  ) {
    this.lan = `q${id}-lan`;
    this.rootVeth = `qlab${id}`;
  }

  nsName(node: string): string {
    if (!this.nodes.includes(node)) throw new Error(`no lab node ${node}`);
    return `q${this.id}-${node}`;
  }

  prefix(node: string): string[] {
    return node === ROOT ? [] : ['ip', 'netns', 'exec', this.nsName(node)];
  }

  ip(node: string): string {
    this.checkNode(node);
    return this.v4(node);
  }

  ip6(node: string): string {
    this.checkNode(node);
    return this.v6(node);
  }

  async build(): Promise<void> {
    for (const ns of [this.lan, ...this.nodes.map((n) => this.nsName(n))]) {
      await runOk(['ip', 'netns', 'add', ns]);
      this.created.push(ns);
      await runOk(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await runOk(['ip', '-n', this.lan, 'link', 'add', 'br0', 'type', 'bridge']);
    await runOk(['ip', '-n', this.lan, 'link', 'set', 'br0', 'up']);
    for (const [i, node] of this.nodes.entries()) {
      const ns = this.nsName(node);
      await runOk([
        'ip',
        '-n',
        this.lan,
        'link',
        'add',
        `p${i}`,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns,
      ]);
      await runOk(['ip', '-n', this.lan, 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
      await this.address(['ip', '-n', ns], 'eth0', node);
    }
    if (this.withRoot) {
      await runOk([
        'ip',
        'link',
        'add',
        this.rootVeth,
        'type',
        'veth',
        'peer',
        'name',
        'uplink',
        'netns',
        this.lan,
      ]);
      this.rootLinkCreated = true;
      await runOk(['ip', '-n', this.lan, 'link', 'set', 'uplink', 'master', 'br0', 'up']);
      await this.address(['ip'], this.rootVeth, ROOT);
    }
  }

  /** `nodad`: duplicate address detection would keep IPv6 unusable for a second or two. */
  private async address(ip: string[], dev: string, node: string): Promise<void> {
    await runOk([...ip, 'addr', 'add', `${this.v4(node)}/24`, 'dev', dev]);
    await runOk([...ip, '-6', 'addr', 'add', `${this.v6(node)}/64`, 'dev', dev, 'nodad']);
    await runOk([...ip, 'link', 'set', dev, 'up']);
  }

  exec(
    node: string,
    cmd: string,
    args: readonly string[],
    opts: { input?: string; timeoutMs?: number } = {},
  ) {
    return run([...this.prefix(node), cmd, ...args], opts);
  }

  async execOk(
    node: string,
    cmd: string,
    args: readonly string[],
    opts: { input?: string } = {},
  ): Promise<string> {
    const r = await this.exec(node, cmd, args, opts);
    if (r.code !== 0)
      throw new Error(`[${node}] ${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  spawn(node: string, cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const [file, ...rest] = [...this.prefix(node), cmd, ...args];
    const child = spawnChild(file!, rest, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  async listen(node: string, port: number, host?: string): Promise<LabListener> {
    const child = this.spawn(node, process.execPath, ['-e', ECHO_SERVER, String(port), host ?? '']);
    await firstLine(child, 'listening', 10_000);
    return { port, close: () => void child.kill('SIGKILL') };
  }

  async canConnect(from: string, ip: string, port: number, timeoutMs = 1000): Promise<boolean> {
    const r = await this.exec(from, process.execPath, ['-e', PROBE, ip, String(port), String(timeoutMs)], {
      timeoutMs: timeoutMs + 10_000,
    });
    return r.code === 0;
  }

  async connect(from: string, ip: string, port: number, timeoutMs = 3000): Promise<LabConnection> {
    const child = this.spawn(from, process.execPath, ['-e', CLIENT, ip, String(port)]);
    const lines = createInterface({ input: child.stdout! });
    const seen: string[] = [];
    const waiters = new Set<() => void>();
    lines.on('line', (l) => {
      seen.push(l);
      for (const w of waiters) w();
    });
    const waitFor = (token: string, ms: number) =>
      new Promise<boolean>((resolve) => {
        const check = () => {
          if (!seen.includes(token)) return;
          cleanup();
          resolve(true);
        };
        const timer = setTimeout(() => {
          cleanup();
          resolve(false);
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    if (!(await waitFor('connected', timeoutMs))) {
      child.kill('SIGKILL');
      throw new Error(`[${from}] could not connect to ${ip}:${port}`);
    }
    let n = 0;
    return {
      ping: (ms = 2000) => {
        const token = `ping-${++n}`;
        child.stdin!.write(`${token}\n`);
        return waitFor(token, ms);
      },
      close: () => void child.kill('SIGKILL'),
    };
  }

  async destroy(): Promise<void> {
    const errors: string[] = [];
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    if (this.rootLinkCreated) {
      const r = await run(['ip', 'link', 'del', this.rootVeth]);
      if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) errors.push(r.stderr.trim());
      this.rootLinkCreated = false;
    }
    for (const ns of this.created.splice(0).reverse()) {
      // Anything still running in a namespace this lab created was started by the test using it.
      const pids = await run(['ip', 'netns', 'pids', ns]);
      for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Already gone between listing and kill: nothing to clean up.
        }
      }
      const r = await run(['ip', 'netns', 'del', ns]);
      if (r.code !== 0) errors.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
    }
    if (errors.length) throw new Error(`lab ${this.id} cleanup: ${errors.join('; ')}`);
  }

  private checkNode(node: string): void {
    if (node !== ROOT) this.nsName(node);
    else if (!this.withRoot) throw new Error('this lab has no root link');
  }
}

/** Resolves once `child` prints `line` on stdout; rejects if it exits or times out first. */
function firstLine(child: ChildProcess, line: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`no "${line}" within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    rl.on('line', (l) => {
      if (l === line) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before "${line}": ${stderr.trim()}`));
    });
  });
}
