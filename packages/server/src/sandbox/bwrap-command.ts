import type { SandboxLimits } from './limits.js';
import { TRACED_SYSCALLS } from './traced-syscalls.js';
import { SANDBOX_HOSTNAME } from './world-files.js';

/** Programs a detonation runs. Outside ones are found on PATH; inside ones must live under /usr. */
export interface SandboxTools {
  setpriv: string;
  strace: string;
  bwrap: string;
  /** Inside the sandbox: sets the rlimits on the sample and executes it. */
  prlimit: string;
  /** Inside the sandbox: the waiter (see `WAITER_SCRIPT`). */
  bash: string;
}

export const DEFAULT_TOOLS: Readonly<SandboxTools> = Object.freeze({
  setpriv: 'setpriv',
  strace: 'strace',
  bwrap: 'bwrap',
  prlimit: '/usr/bin/prlimit',
  bash: '/usr/bin/bash',
});

/**
 * Runs the sample (its command line is `$@`), waits for it, then waits until no process but the
 * sandbox's init and this script is left: bubblewrap kills the whole sandbox when its first
 * process exits, which would cut short every sample that forks into the background. Uses
 * builtins only (`read -t` on a pipe nobody writes is the sleep) so it starts nothing traced.
 */
export const WAITER_SCRIPT = `"$@" &
wait "$!"; rc=$?
exec {hold}<> <(:)
while :; do
  busy=
  for p in /proc/[0-9]*; do
    n=\${p#/proc/}
    [ "$n" = 1 ] || [ "$n" = "$$" ] || { busy=1; break; }
  done
  [ -n "$busy" ] || break
  read -t 0.2 -u "$hold" || :
done
exit "$rc"`;

/**
 * Capabilities kept inside the sandbox's user namespace, so its root handles the decoy files as
 * a real root would (writing a 0440 sudoers, chown). They act only on files owned by the sandbox
 * user; host files stay unmapped and read-only. Nothing touching mounts, networking or devices.
 */
export const SANDBOX_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
] as const;

const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  USER: 'root',
  LOGNAME: 'root',
  SHELL: '/bin/bash',
  TERM: 'xterm-256color',
  LANG: 'C.UTF-8',
  HOSTNAME: SANDBOX_HOSTNAME,
};

export interface DetonationCommandInput {
  tools: SandboxTools;
  /** Host user and group the sandbox runs as; null keeps the current ones. */
  runAs: { uid: number; gid: number } | null;
  /** Host path of the strace log; outside the sandbox. */
  tracePath: string;
  /** Host directory that becomes `/`. */
  worldRoot: string;
  readOnlyBinds: readonly string[];
  samplePath: string;
  limits: SandboxLimits;
}

/**
 * The command line of one detonation, outermost first:
 * `setpriv` (drop to the sandbox user; SIGKILL when the server dies) → `strace -f` (the whole
 * tree, log outside) → `bwrap` (new user, pid, net, ipc, uts namespaces; the world as `/`) →
 * the waiter → `prlimit` (rlimits on the sample only) → the sample. Pure.
 */
export function detonationCommand(input: DetonationCommandInput): { command: string; args: string[] } {
  const { tools, limits } = input;
  const setpriv = ['--pdeathsig', 'KILL'];
  if (input.runAs) {
    setpriv.push('--reuid', String(input.runAs.uid), '--regid', String(input.runAs.gid), '--clear-groups');
  }
  const strace = [
    '-f',
    '-ttt',
    '-yy',
    '-x',
    '-s',
    '4096',
    '--pidns-translation',
    '--seccomp-bpf',
    '-e',
    `trace=${TRACED_SYSCALLS.join(',')}`,
    '-e',
    'signal=!SIGCHLD',
    '-o',
    input.tracePath,
  ];
  const bwrap = [
    '--unshare-user',
    '--uid',
    '0',
    '--gid',
    '0',
    '--unshare-net',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    SANDBOX_HOSTNAME,
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    ...SANDBOX_CAPS.flatMap((c) => ['--cap-add', c]),
    '--bind',
    input.worldRoot,
    '/',
    ...input.readOnlyBinds.flatMap((d) => ['--ro-bind', d, d]),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--chdir',
    '/root',
    '--clearenv',
    ...Object.entries(SANDBOX_ENV).flatMap(([k, v]) => ['--setenv', k, v]),
  ];
  const prlimit = [
    // A hard limit equal to the soft one would SIGKILL first; one second more lets SIGXCPU say why.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--as=${limits.addressSpaceBytes}`,
    `--nproc=${limits.maxProcesses}`,
    `--fsize=${limits.maxFileBytes}`,
    `--nofile=${limits.maxOpenFiles}`,
    '--core=0',
  ];
  return {
    command: tools.setpriv,
    args: [
      ...setpriv,
      '--',
      tools.strace,
      ...strace,
      '--',
      tools.bwrap,
      ...bwrap,
      '--',
      tools.bash,
      '-c',
      WAITER_SCRIPT,
      'quell-waiter',
      tools.prlimit,
      ...prlimit,
      '--',
      input.samplePath,
    ],
  };
}
