import { createHash } from 'node:crypto';
import type { Firewall, FirewallReadback, IsolationTarget } from '../ports.js';
import { spawnRunner, withPrefix, type CommandRunner } from './command-runner.js';
import {
  buildIsolationRuleset,
  buildRemovalScript,
  DEFAULT_TABLE,
  normaliseRuleset,
  validateTableName,
} from './isolation-ruleset.js';

/** Options of {@link NftablesFirewall}. */
export interface NftablesFirewallOptions {
  /** The nft binary. Default `nft` (from PATH). */
  nftPath?: string;
  /** Quell's table in family `inet`. Default `quell`; tests use their own. */
  table?: string;
  /** Prepended to every command, e.g. `['ip', 'netns', 'exec', ns]`. Default none. */
  commandPrefix?: readonly string[];
  /** Runs commands. Default {@link spawnRunner} (10 s timeout). */
  run?: CommandRunner;
}

/** nft's message when the table does not exist; the exit code alone does not say that. */
const ABSENT = /No such file or directory/;
const STDERR_MAX = 500;

/**
 * Device isolation with nftables: one dedicated `inet` table, written atomically with
 * `nft -f -` and verified by reading it back (`nft list table`), comparing it with the text nft
 * should print for the generated rules.
 *
 * Methods only throw for an invalid target ({@link InvalidIsolationTargetError}); failures of
 * `nft` itself come back as a read-back with `error` set and `matches: false`, so callers always
 * have something to report.
 */
export class NftablesFirewall implements Firewall {
  private readonly table: string;
  private readonly nft: string;
  private readonly run: CommandRunner;
  /** Last listing seen and its normal form and hash: an idle tick rehashes nothing. */
  private lastListing: { raw: string; normal: string; hash: string } | null = null;
  /**
   * When a successful `nft -f` reads back in a different spelling than generated (another nft
   * version printing a rule its own way), the read-back is adopted as the canonical form of that
   * ruleset. The transaction is atomic, so what nft holds then is exactly what we sent; the only
   * other cause, tampering in the milliseconds between write and read, is accepted as a risk.
   */
  private adopted: { expected: string; normal: string } | null = null;

  constructor(opts: NftablesFirewallOptions = {}) {
    this.table = validateTableName(opts.table ?? DEFAULT_TABLE);
    this.nft = opts.nftPath ?? 'nft';
    const run = opts.run ?? spawnRunner();
    this.run = opts.commandPrefix?.length ? withPrefix(opts.commandPrefix, run) : run;
  }

  async apply(target: IsolationTarget): Promise<FirewallReadback> {
    const { script, expected } = buildIsolationRuleset(target, this.table);
    const failure = await this.write(script);
    if (failure !== null) return { ...(await this.read(target)), matches: false, error: failure };
    const back = await this.read(target);
    if (back.present && !back.matches && back.error === undefined && this.lastListing) {
      this.adopted = { expected: normaliseRuleset(expected), normal: this.lastListing.normal };
      return { ...back, matches: true };
    }
    return back;
  }

  async remove(): Promise<FirewallReadback> {
    const failure = await this.write(buildRemovalScript(this.table));
    const back = await this.read(null);
    return failure === null ? back : { ...back, matches: false, error: failure };
  }

  async read(target: IsolationTarget | null): Promise<FirewallReadback> {
    let result;
    try {
      result = await this.run([this.nft, 'list', 'table', 'inet', this.table]);
    } catch (err) {
      return { matches: false, present: false, rulesetHash: null, error: (err as Error).message };
    }
    if (result.code !== 0) {
      if (ABSENT.test(result.stderr)) return { matches: target === null, present: false, rulesetHash: null };
      return {
        matches: false,
        present: false,
        rulesetHash: null,
        error: this.describe('list table', result.stderr),
      };
    }
    const listing = this.normalise(result.stdout);
    if (target === null) return { matches: false, present: true, rulesetHash: listing.hash };
    const expected = normaliseRuleset(buildIsolationRuleset(target, this.table).expected);
    const matches =
      listing.normal === expected ||
      (this.adopted?.expected === expected && this.adopted.normal === listing.normal);
    return { matches, present: true, rulesetHash: listing.hash };
  }

  /** Runs one `nft -f -` transaction; returns an error message, or null on success. */
  private async write(script: string): Promise<string | null> {
    try {
      const result = await this.run([this.nft, '-f', '-'], script);
      return result.code === 0 ? null : this.describe('-f', result.stderr);
    } catch (err) {
      return (err as Error).message;
    }
  }

  private normalise(raw: string): { normal: string; hash: string } {
    if (this.lastListing?.raw !== raw) {
      const normal = normaliseRuleset(raw);
      this.lastListing = { raw, normal, hash: createHash('sha256').update(normal).digest('hex') };
    }
    return this.lastListing;
  }

  private describe(what: string, stderr: string): string {
    return `nft ${what} failed: ${stderr.trim().slice(0, STDERR_MAX) || 'no message'}`;
  }
}
