import type { CatalogItem } from './catalog.types.js';
import { inHomes } from './catalog.paths.js';

/** Who can sign in, who did, and what they typed. */
export const ACCOUNT_ITEMS = [
  // --- accounts and sign-ins -------------------------------------------------------------------
  { id: 'users', category: 'accounts', title: 'Users', kind: 'files', root: 'fs', paths: ['etc/passwd'] },
  { id: 'groups', category: 'accounts', title: 'Groups', kind: 'files', root: 'fs', paths: ['etc/group'] },
  {
    id: 'sudoers',
    category: 'accounts',
    title: 'sudoers',
    kind: 'files',
    root: 'fs',
    paths: ['etc/sudoers', 'etc/sudoers.d/*'],
  },
  {
    id: 'wtmp',
    category: 'sign-ins',
    title: 'wtmp (raw)',
    kind: 'files',
    root: 'fs',
    paths: ['var/log/wtmp*'],
  },
  {
    id: 'btmp',
    category: 'sign-ins',
    title: 'btmp (raw)',
    kind: 'files',
    root: 'fs',
    paths: ['var/log/btmp*'],
  },
  {
    id: 'lastlog',
    category: 'sign-ins',
    title: 'lastlog (raw)',
    kind: 'files',
    root: 'fs',
    paths: ['var/log/lastlog'],
  },
  {
    id: 'last',
    category: 'sign-ins',
    title: 'last (parsed wtmp)',
    kind: 'command',
    command: 'last',
    args: ['-F', '-w', '-x', '-f', '{fsRoot}/var/log/wtmp'],
    output: 'last.txt',
    requires: { path: 'var/log/wtmp', why: 'no /var/log/wtmp' },
  },
  {
    id: 'lastb',
    category: 'sign-ins',
    title: 'lastb (parsed btmp)',
    kind: 'command',
    command: 'lastb',
    args: ['-F', '-w', '-f', '{fsRoot}/var/log/btmp'],
    output: 'lastb.txt',
    requires: { path: 'var/log/btmp', why: 'no /var/log/btmp' },
  },
  {
    id: 'lastlog-parsed',
    category: 'sign-ins',
    title: 'lastlog (parsed)',
    kind: 'command',
    command: 'lastlog',
    args: [],
    output: 'lastlog.txt',
    requires: { path: 'var/log/lastlog', why: 'no /var/log/lastlog' },
  },
  {
    id: 'auth-logs',
    category: 'sign-ins',
    title: 'Authentication logs',
    kind: 'files',
    root: 'fs',
    paths: ['var/log/auth.log*', 'var/log/secure*'],
    read: 'tail',
  },

  // --- shell histories -------------------------------------------------------------------------
  {
    id: 'shell-histories',
    category: 'shell-history',
    title: 'Shell histories',
    kind: 'files',
    root: 'fs',
    paths: inHomes('.*history', '.zhistory', '.local/share/fish/fish_history'),
  },
] as const satisfies readonly CatalogItem[];
