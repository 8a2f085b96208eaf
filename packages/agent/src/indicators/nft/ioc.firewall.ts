import { createHash } from 'node:crypto';
import { withPrefix, type CommandRunner } from '../../firewall/command-runner.js';
import { normaliseRuleset, validateTableName } from '../../firewall/isolation-ruleset.js';
import {
  buildIocElementDelta,
  buildIocRemovalScript,
  buildIocScript,
  buildIocSkeleton,
  DEFAULT_IOC_TABLE,
  IOC_SET_NAMES,
  type IocSetName,
  type IocTarget,
} from './ioc-ruleset.js';
import { elementCounts, parseIocListing, structureOf, tableBlock } from './ioc-listing.js';
import { nftRunner } from './nft-runner.js';

/** How deep a read-back looked. */
export const IOC_READ_DEPTHS = ['structure', 'full'] as const;
export type IocReadDepth = (typeof IOC_READ_DEPTHS)[number];

/** What reading the indicator table back showed. */
export interface IocReadback {
  /** The table is as desired (absent, when `null` was desired), to the depth checked. */
  matches: boolean;
  present: boolean;
  depth: IocReadDepth;
  /** Elements per set read back (full reads of a present table only). */
  counts: Record<IocSetName, number> | null;
  /** SHA-256 of the normalised listing, elements included (full reads only). */
  rulesetHash: string | null;
  error?: string;
}

/** The indicator table as the reconciler drives it; {@link NftIocFirewall} is the real one. */
export interface IocFirewall {
  /** Replaces the table with `target`, elements included, in one transaction; then reads it back in full. */
  apply(target: IocTarget): Promise<IocReadback>;
  /**
   * Changes only elements, from `from` (what is in force) to `to`; then checks the structure
   * (a full read would cost seconds at 100,000+ elements; the reconciler does one soon after).
   */
  update(from: IocTarget, to: IocTarget): Promise<IocReadback>;
  remove(): Promise<IocReadback>;
  /** Compares the table with `target` (null: expects none) at `depth`. */
  read(target: IocTarget | null, depth: IocReadDepth): Promise<IocReadback>;
}

export interface NftIocFirewallOptions {
  /** Default `nft` (from PATH). */
  nftPath?: string;
  /** Default {@link DEFAULT_IOC_TABLE}. */
  table?: string;
  /** Prepended to every command, e.g. `['ip', 'netns', 'exec', ns]`. */
  commandPrefix?: readonly string[];
  /** Default {@link nftRunner}. */
  run?: CommandRunner;
}

const ABSENT = /No such file or directory/;

/**
 * IP indicators in nftables: the `inet quell_ioc` table (see `ioc-ruleset.ts`), written with
 * `nft -f -` transactions and verified by reading it back.
 *
 * A full read lists the table (rules and every element) and compares it with the target; it costs
 * time in proportion to the elements loaded (nft 1.0 fetches every element of every set for any
 * listing of rules), so the reconciler uses the `structure` depth between full checks: table,
 * chains and sets present, from two commands that skip elements.
 *
 * Never throws for nft failures: they come back as a read-back with `error` set.
 */
export class NftIocFirewall implements IocFirewall {
  private readonly table: string;
  private readonly nft: string;
  private readonly run: CommandRunner;

  constructor(opts: NftIocFirewallOptions = {}) {
    this.table = validateTableName(opts.table ?? DEFAULT_IOC_TABLE);
    this.nft = opts.nftPath ?? 'nft';
    const run = opts.run ?? nftRunner();
    this.run = opts.commandPrefix?.length ? withPrefix(opts.commandPrefix, run) : run;
  }

  async apply(target: IocTarget): Promise<IocReadback> {
    const failure = await this.write(buildIocScript(target, this.table));
    const back = await this.read(target, 'full');
    return failure === null ? back : { ...back, matches: false, error: failure };
  }

  async update(from: IocTarget, to: IocTarget): Promise<IocReadback> {
    const script = buildIocElementDelta(from, to, this.table);
    const failure = script === '' ? null : await this.write(script);
    const back = await this.read(to, 'structure');
    return failure === null ? back : { ...back, matches: false, error: failure };
  }

  async remove(): Promise<IocReadback> {
    const failure = await this.write(buildIocRemovalScript(this.table));
    const back = await this.read(null, 'structure');
    return failure === null ? back : { ...back, matches: false, error: failure };
  }

  async read(target: IocTarget | null, depth: IocReadDepth): Promise<IocReadback> {
    const none = { counts: null, rulesetHash: null, depth };
    try {
      if (depth === 'structure' || target === null) {
        const [chains, sets] = await Promise.all([
          this.run([this.nft, 'list', 'chains']),
          this.run([this.nft, '-t', 'list', 'sets']),
        ]);
        if (chains.code !== 0 || sets.code !== 0)
          return {
            ...none,
            matches: false,
            present: false,
            error: this.describe('list', chains.stderr + sets.stderr),
          };
        const got = {
          chains: tableBlock(chains.stdout, this.table),
          sets: tableBlock(sets.stdout, this.table),
        };
        const present = got.chains !== null;
        if (target === null) return { ...none, matches: !present, present };
        const want = structureOf(normaliseRuleset(buildIocSkeleton(target, this.table)));
        return { ...none, present, matches: got.chains === want.chains && got.sets === want.sets };
      }
      const result = await this.run([this.nft, 'list', 'table', 'inet', this.table]);
      if (result.code !== 0) {
        if (ABSENT.test(result.stderr)) return { ...none, matches: false, present: false };
        return { ...none, matches: false, present: false, error: this.describe('list table', result.stderr) };
      }
      const listing = parseIocListing(result.stdout);
      const rulesetHash = createHash('sha256').update(normaliseRuleset(result.stdout)).digest('hex');
      const matches =
        listing.skeleton === normaliseRuleset(buildIocSkeleton(target, this.table)) &&
        IOC_SET_NAMES.every((n) => sameElements(listing.elements.get(n), target.sets[n]));
      return { matches, present: true, depth, counts: elementCounts(listing), rulesetHash };
    } catch (err) {
      return { ...none, matches: false, present: false, error: (err as Error).message };
    }
  }

  private async write(script: string): Promise<string | null> {
    try {
      const result = await this.run([this.nft, '-f', '-'], script);
      return result.code === 0 ? null : this.describe('-f', result.stderr);
    } catch (err) {
      return (err as Error).message;
    }
  }

  private describe(what: string, stderr: string): string {
    return `nft ${what} failed: ${stderr.trim().slice(0, 500) || 'no message'}`;
  }
}

/** Same members, whatever the order (nft prints address order, as targets keep them, but need not). */
function sameElements(got: readonly string[] | undefined, want: readonly string[]): boolean {
  const g = got ?? [];
  if (g.length !== want.length) return false;
  let inOrder = true;
  for (let i = 0; i < g.length && inOrder; i++) inOrder = g[i] === want[i];
  if (inOrder) return true;
  const w = new Set(want);
  return g.every((e) => w.has(e));
}
