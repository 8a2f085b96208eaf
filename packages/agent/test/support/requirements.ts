import { execFileSync } from 'node:child_process';

/**
 * Agent tests use the real OS pieces (nftables in network namespaces, fanotify, yara, clamd) and
 * need root. Outside CI a missing piece skips the suite with a message saying what to install;
 * with `CI` set it fails the run, so CI can never pass by skipping.
 */
export interface Requirement {
  /** Shown to the user, e.g. "root" or "nft (Debian package nftables)". */
  name: string;
  check: () => boolean;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const ROOT: Requirement = { name: 'root', check: isRoot };
export const cmd = (command: string, debianPackage: string): Requirement => ({
  name: `${command} (Debian package ${debianPackage}; scripts/install-test-deps.sh installs it)`,
  check: () => hasCommand(command),
});

/**
 * Returns the names of unmet requirements, or throws in CI. Use as
 * `const missing = requirements([ROOT, cmd('nft','nftables')]); describe.skipIf(missing.length)(…)`.
 */
export function requirements(reqs: readonly Requirement[]): string[] {
  const missing = reqs.filter((r) => !r.check()).map((r) => r.name);
  if (missing.length && process.env.CI) {
    throw new Error(`agent tests need: ${missing.join(', ')} (CI must run them, not skip them)`);
  }
  if (missing.length) console.warn(`skipping agent tests: missing ${missing.join(', ')}`);
  return missing;
}
