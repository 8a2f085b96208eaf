import type { PersistenceKind } from './sandbox.vocab.js';

const HOME = String.raw`(?:/root|/home/[^/]+)`;
const UNIT_DIRS = String.raw`(?:/(?:etc|usr/lib|lib|run|usr/local/lib)/systemd/(?:system|user)|${HOME}/\.config/systemd/user)`;

/**
 * Where Linux keeps what runs by itself: the counterpart of Windows run keys and services.
 * Ordered: the first match wins (a `.timer` is checked before other units).
 */
const PATTERNS: readonly (readonly [PersistenceKind, RegExp])[] = [
  ['cron', /^\/etc\/(?:crontab|anacrontab)$/],
  ['cron', /^\/etc\/cron\.(?:d|hourly|daily|weekly|monthly)\/./],
  ['cron', /^\/var\/spool\/(?:cron|anacron)\/./],
  ['systemd_timer', new RegExp(`^${UNIT_DIRS}/(?:[^/]+\\.wants/)?[^/]+\\.timer$`)],
  [
    'systemd_service',
    new RegExp(`^${UNIT_DIRS}/(?:[^/]+\\.(?:wants|requires)/)?[^/]+\\.(?:service|socket|path)$`),
  ],
  [
    'shell_rc',
    new RegExp(
      `^${HOME}/\\.(?:bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin)$`,
    ),
  ],
  ['shell_rc', /^\/etc\/(?:profile|bash\.bashrc|environment|zsh\/[^/]+)$/],
  ['shell_rc', /^\/etc\/profile\.d\/./],
  ['ld_preload', /^\/etc\/ld\.so\.preload$/],
  ['authorized_keys', new RegExp(`^${HOME}/\\.ssh/authorized_keys2?$`)],
  ['sudoers', /^\/etc\/sudoers(?:\.d\/.+)?$/],
];

/** The persistence mechanism a path belongs to, or null. `path` is absolute inside the sandbox. */
export function persistenceKind(path: string): PersistenceKind | null {
  for (const [kind, re] of PATTERNS) if (re.test(path)) return kind;
  return null;
}

/** Credential stores whose reading is credential access (T1003.008). */
export const SHADOW_FILES = /^\/etc\/(?:shadow|gshadow|security\/opasswd)$/;

/** SSH private keys of users and of the host (T1552.004); public halves excluded. */
export const PRIVATE_KEY_FILES = new RegExp(
  `^(?:${HOME}/\\.ssh/(?:id_[a-z0-9_]+|identity)|/etc/ssh/ssh_host_[a-z0-9]+_key)$`,
);
