/**
 * The decoy system the sample lands in: enough of a Debian host that scripts behave as they
 * would on a victim, and every secret fake. Nothing here comes from the real host except the
 * files listed in `HOST_COPIES` (loader cache, alternatives: needed to run programs, not secret).
 */

export type WorldEntry =
  | { kind: 'dir'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; content: string }
  | { kind: 'symlink'; path: string; target: string };

/** Host files copied in when present. Directories are copied shallowly: files and symlinks only. */
export const HOST_COPIES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/protocols',
  '/etc/services',
  '/etc/os-release',
  '/etc/debian_version',
  '/etc/issue',
] as const;

/** Top-level host directories bound read-only (or recreated as the symlinks they are on merged-/usr hosts). */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'] as const;

export const SANDBOX_HOSTNAME = 'fin-ws-042';

/** An obviously fake private key: PEM armour around a base64 marker, never a usable key. */
function decoyKey(kind: 'OPENSSH' | 'RSA', label: string): string {
  const body = Buffer.from(`quell-sandbox-decoy-key:${label}:`.repeat(12)).toString('base64');
  const lines = body.match(/.{1,70}/g) ?? [];
  return `-----BEGIN ${kind} PRIVATE KEY-----\n${lines.join('\n')}\n-----END ${kind} PRIVATE KEY-----\n`;
}

const DECOY_HASH = (who: string) => `$6$decoy${who}$${'Q'.repeat(20)}quellsandboxdecoyhashnotreal${who}`;

const dir = (path: string, mode = 0o755): WorldEntry => ({ kind: 'dir', path, mode });
const file = (path: string, content: string, mode = 0o644): WorldEntry => ({
  kind: 'file',
  path,
  mode,
  content,
});
const link = (path: string, target: string): WorldEntry => ({ kind: 'symlink', path, target });

const BASHRC = `# ~/.bashrc: executed by bash(1) for non-login shells.
[ -z "$PS1" ] && return
HISTCONTROL=ignoredups:ignorespace
HISTSIZE=1000
shopt -s checkwinsize
PS1='\\u@\\h:\\w\\$ '
alias ls='ls --color=auto'
alias ll='ls -alF'
`;

const PROFILE = `# ~/.profile: executed by the command interpreter for login shells.
if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then
  . "$HOME/.bashrc"
fi
`;

function home(path: string, user: string): WorldEntry[] {
  return [
    dir(path, 0o700),
    file(`${path}/.bashrc`, BASHRC),
    file(`${path}/.profile`, PROFILE),
    file(
      `${path}/.bash_history`,
      'ls -la\nsudo systemctl status nginx\nssh deploy@10.20.0.15\nvim notes.txt\n',
      0o600,
    ),
    dir(`${path}/.ssh`, 0o700),
    file(`${path}/.ssh/id_rsa`, decoyKey('RSA', `${user}-rsa`), 0o600),
    file(
      `${path}/.ssh/id_rsa.pub`,
      `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDdecoy ${user}@${SANDBOX_HOSTNAME}\n`,
    ),
    file(`${path}/.ssh/id_ed25519`, decoyKey('OPENSSH', `${user}-ed25519`), 0o600),
    file(
      `${path}/.ssh/known_hosts`,
      '10.20.0.15 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDecoyDecoyDecoyDecoyDecoyDecoyDecoyDe\n',
    ),
    dir(`${path}/.config`, 0o755),
    file(`${path}/notes.txt`, 'vpn: vpn.corp.example\nwiki: https://wiki.corp.example\n'),
  ];
}

/** Every entry of the fake world, parents before children. Paths are inside the sandbox. */
export const WORLD_ENTRIES: readonly WorldEntry[] = [
  dir('/etc'),
  file('/etc/hostname', `${SANDBOX_HOSTNAME}\n`),
  file(
    '/etc/hosts',
    `127.0.0.1\tlocalhost\n127.0.1.1\t${SANDBOX_HOSTNAME}.corp.example ${SANDBOX_HOSTNAME}\n::1\tlocalhost ip6-localhost\n`,
  ),
  // A loopback resolver: queries leave the process (so strace records the names) and are refused.
  file('/etc/resolv.conf', 'nameserver 127.0.0.53\noptions edns0\nsearch corp.example\n'),
  file(
    '/etc/nsswitch.conf',
    'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n',
  ),
  file(
    '/etc/passwd',
    [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'bin:x:2:2:bin:/bin:/usr/sbin/nologin',
      'sys:x:3:3:sys:/dev:/usr/sbin/nologin',
      'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
      'sshd:x:104:65534::/run/sshd:/usr/sbin/nologin',
      'user:x:1000:1000:Finance User,,,:/home/user:/bin/bash',
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      '',
    ].join('\n'),
  ),
  file(
    '/etc/group',
    'root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:user\nshadow:x:42:\nsudo:x:27:user\nwww-data:x:33:\nuser:x:1000:\nnogroup:x:65534:\n',
  ),
  file(
    '/etc/shadow',
    `root:${DECOY_HASH('root')}:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\nwww-data:*:19700:0:99999:7:::\nuser:${DECOY_HASH('user')}:19700:0:99999:7:::\n`,
    0o640,
  ),
  file('/etc/gshadow', 'root:*::\nsudo:*::user\nuser:!::\n', 0o640),
  file('/etc/shells', '/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/dash\n'),
  file('/etc/environment', ''),
  file(
    '/etc/profile',
    'if [ "$(id -u)" -eq 0 ]; then\n  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\nfi\nexport PATH\nfor i in /etc/profile.d/*.sh; do [ -r "$i" ] && . "$i"; done\n',
  ),
  file(
    '/etc/bash.bashrc',
    '# System-wide .bashrc file for interactive bash(1) shells.\n[ -z "$PS1" ] && return\n',
  ),
  dir('/etc/profile.d'),
  file(
    '/etc/crontab',
    `SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin

17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly
25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }
`,
  ),
  dir('/etc/cron.d'),
  file(
    '/etc/cron.d/e2scrub_all',
    '30 3 * * 0 root test -e /run/systemd/system || /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron\n',
  ),
  dir('/etc/cron.hourly'),
  dir('/etc/cron.daily'),
  file('/etc/cron.daily/logrotate', '#!/bin/sh\n/usr/sbin/logrotate /etc/logrotate.conf\n', 0o755),
  dir('/etc/cron.weekly'),
  dir('/etc/cron.monthly'),
  dir('/etc/systemd'),
  dir('/etc/systemd/system'),
  dir('/etc/systemd/system/multi-user.target.wants'),
  dir('/etc/systemd/system/timers.target.wants'),
  file(
    '/etc/sudoers',
    'Defaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n',
    0o440,
  ),
  dir('/etc/sudoers.d', 0o750),
  file('/etc/sudoers.d/README', '# Files in this directory are read by sudo.\n', 0o440),
  dir('/etc/ssh'),
  file(
    '/etc/ssh/sshd_config',
    'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n',
  ),
  file('/etc/ssh/ssh_host_ed25519_key', decoyKey('OPENSSH', 'host-ed25519'), 0o600),
  file(
    '/etc/ssh/ssh_host_ed25519_key.pub',
    `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDecoyHost root@${SANDBOX_HOSTNAME}\n`,
  ),
  link('/etc/localtime', '/usr/share/zoneinfo/Etc/UTC'),
  link('/etc/mtab', '../proc/self/mounts'),
  dir('/etc/ld.so.conf.d'),
  ...home('/root', 'root'),
  dir('/home'),
  ...home('/home/user', 'user'),
  dir('/tmp', 0o1777),
  dir('/run'),
  dir('/run/lock', 0o1777),
  dir('/var'),
  dir('/var/tmp', 0o1777),
  dir('/var/log'),
  file('/var/log/auth.log', ''),
  dir('/var/lib'),
  dir('/var/spool'),
  dir('/var/spool/cron'),
  dir('/var/spool/cron/crontabs', 0o1730),
  dir('/var/www'),
  link('/var/run', '/run'),
  link('/var/lock', '/run/lock'),
  dir('/opt'),
  dir('/srv'),
  dir('/mnt'),
];
