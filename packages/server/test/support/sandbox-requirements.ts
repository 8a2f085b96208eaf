import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Sandbox tests detonate real samples in bubblewrap under strace, as root (the sandbox drops to
 * `nobody`). Outside CI a missing piece skips the suite with a message saying what to install;
 * with `CI` set it fails the run, so CI can never pass by skipping.
 */
export interface Requirement {
  /** Shown to the user, e.g. "root" or "bwrap (Debian package bubblewrap)". */
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
export const USER_NAMESPACES: Requirement = {
  name: 'user namespaces (sysctl user.max_user_namespaces > 0)',
  check: () => {
    try {
      return Number(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim()) > 0;
    } catch {
      return false;
    }
  },
};

/** Everything a detonation needs on the host. */
export const SANDBOX_REQUIREMENTS: readonly Requirement[] = [
  ROOT,
  cmd('bwrap', 'bubblewrap'),
  cmd('strace', 'strace'),
  cmd('setpriv', 'util-linux'),
  cmd('prlimit', 'util-linux'),
  cmd('bash', 'bash'),
  USER_NAMESPACES,
];

/**
 * Returns the names of unmet requirements, or throws in CI. Use as
 * `const missing = requirements(SANDBOX_REQUIREMENTS); describe.skipIf(missing.length)(…)`.
 */
export function requirements(reqs: readonly Requirement[], what = 'sandbox tests'): string[] {
  const missing = reqs.filter((r) => !r.check()).map((r) => r.name);
  if (missing.length && process.env.CI) {
    throw new Error(`${what} need: ${missing.join(', ')} (CI must run them, not skip them)`);
  }
  if (missing.length) console.warn(`skipping ${what}: missing ${missing.join(', ')}`);
  return missing;
}
