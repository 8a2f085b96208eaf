import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { SandboxTools } from './bwrap-command.js';

const run = promisify(execFile);

const PACKAGES: Record<keyof SandboxTools, string> = {
  setpriv: 'setpriv (Debian package util-linux)',
  strace: 'strace (Debian package strace, 5.9 or later)',
  bwrap: 'bwrap (Debian package bubblewrap, 0.8 or later)',
  prlimit: 'prlimit (Debian package util-linux)',
  bash: 'bash (Debian package bash)',
};

async function onPath(cmd: string): Promise<boolean> {
  if (cmd.includes('/'))
    return access(cmd, constants.X_OK).then(
      () => true,
      () => false,
    );
  return run('sh', ['-c', 'command -v "$1"', 'sh', cmd]).then(
    () => true,
    () => false,
  );
}

/**
 * What the host lacks to run detonations: each tool, then user namespaces, then a real
 * bubblewrap start as the sandbox user (AppArmor or a sysctl may forbid what the files allow).
 * Empty when everything works.
 */
export async function missingForSandbox(
  tools: SandboxTools,
  runAs: { uid: number; gid: number } | null,
): Promise<string[]> {
  const missing: string[] = [];
  for (const key of Object.keys(PACKAGES) as (keyof SandboxTools)[]) {
    if (!(await onPath(tools[key]))) missing.push(PACKAGES[key]);
  }
  if (missing.length) return missing;
  const maxNs = await readFile('/proc/sys/user/max_user_namespaces', 'utf8').catch(() => '0');
  if (Number(maxNs.trim()) < 1) return ['user namespaces (sysctl user.max_user_namespaces > 0)'];
  const setpriv = runAs ? ['--reuid', String(runAs.uid), '--regid', String(runAs.gid), '--clear-groups'] : [];
  try {
    await run(
      tools.setpriv,
      [
        ...setpriv,
        '--',
        tools.bwrap,
        '--unshare-user',
        '--unshare-net',
        '--unshare-pid',
        '--disable-userns',
        '--die-with-parent',
        '--ro-bind',
        '/',
        '/',
        '--proc',
        '/proc',
        '--',
        tools.bash,
        '-c',
        ':',
      ],
      { timeout: 10_000 },
    );
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
    missing.push(`a working unprivileged bubblewrap sandbox (${stderr || (e as Error).message})`);
  }
  return missing;
}
