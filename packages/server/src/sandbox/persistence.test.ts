import { describe, expect, it } from 'vitest';
import { changeExcerpt, persistenceChanges } from './persistence.js';
import { persistenceKind } from './persistence-paths.js';
import type { WorldEntry } from './world-snapshot.js';

const file = (content: string): WorldEntry => ({
  type: 'file',
  size: content.length,
  mtimeMs: 0,
  ino: 1,
  sha256: null,
  linkTarget: null,
  content: Buffer.from(content),
});

describe('persistence changes', () => {
  it.each([
    ['/etc/crontab', 'cron'],
    ['/etc/anacrontab', 'cron'],
    ['/var/spool/cron/crontabs/root', 'cron'],
    ['/usr/lib/systemd/system/x.socket', 'systemd_service'],
    ['/home/user/.config/systemd/user/x.timer', 'systemd_timer'],
    ['/home/user/.zshrc', 'shell_rc'],
    ['/etc/bash.bashrc', 'shell_rc'],
    ['/etc/ld.so.preload', 'ld_preload'],
    ['/root/.ssh/authorized_keys', 'authorized_keys'],
    ['/etc/sudoers.d/x', 'sudoers'],
    ['/etc/passwd', null],
    ['/tmp/.bashrc', null],
  ])('classifies %s as %s', (path, kind) => {
    expect(persistenceKind(path)).toBe(kind);
  });

  it('shows the lines a change added to a file that existed', () => {
    expect(
      changeExcerpt(
        Buffer.from('SHELL=/bin/sh\n17 * * * * root run\n'),
        Buffer.from('SHELL=/bin/sh\n17 * * * * root run\n* * * * * root /tmp/x\n'),
      ),
    ).toBe('* * * * * root /tmp/x');
  });

  it('shows the start of a new file with control bytes escaped, cut at 2 KiB', () => {
    expect(changeExcerpt(null, Buffer.from('a\x00b\tc\n'))).toBe('a\\x00b\tc\n');
    expect(changeExcerpt(null, Buffer.alloc(3000, 'x'))).toHaveLength(2049);
  });

  it('lists persistence files, not directories or other paths, with symlink targets', () => {
    const records = persistenceChanges([
      { path: '/etc/cron.d/x', change: 'created', before: null, after: file('* * * * * root /x\n') },
      {
        path: '/etc/cron.d',
        change: 'created',
        before: null,
        after: { ...file(''), type: 'directory', content: null },
      },
      { path: '/tmp/x', change: 'created', before: null, after: file('x') },
      {
        path: '/etc/systemd/system/multi-user.target.wants/x.service',
        change: 'created',
        before: null,
        after: { ...file(''), type: 'symlink', content: null, linkTarget: '/etc/systemd/system/x.service' },
      },
      { path: '/root/.bashrc', change: 'deleted', before: file('alias ll=ls\n'), after: null },
    ]);
    expect(records).toEqual([
      { path: '/etc/cron.d/x', kind: 'cron', change: 'created', excerpt: '* * * * * root /x\n' },
      {
        path: '/etc/systemd/system/multi-user.target.wants/x.service',
        kind: 'systemd_service',
        change: 'created',
        excerpt: '-> /etc/systemd/system/x.service',
      },
      { path: '/root/.bashrc', kind: 'shell_rc', change: 'deleted', excerpt: 'alias ll=ls\n' },
    ]);
  });
});
