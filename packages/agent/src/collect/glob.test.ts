import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandGlob } from './glob.js';

let root: string;

async function plant(rel: string, text = rel): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), text);
}

async function expand(pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const hit of expandGlob(root, pattern))
    out.push(hit.error === undefined ? hit.rel : `!${hit.rel}`);
  return out;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'quell-glob-'));
  await plant('home/alice/.bash_history');
  await plant('home/bob/.zsh_history');
  await plant('home/bob/.bashrc');
  await plant('var/spool/cron/crontabs/root');
  await plant('var/spool/cron/atjobs/.SEQ');
  await plant('etc/systemd/system/evil.service');
  await plant('etc/systemd/system/timers.target.wants/evil.timer');
  await mkdir(path.join(root, 'etc/cron.d'), { recursive: true });
  // A loop and a link to a file: ** must not descend the first, a leaf pattern may follow the second.
  await symlink('..', path.join(root, 'etc/systemd/system/loop'));
  await symlink('evil.service', path.join(root, 'etc/systemd/system/alias.service'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('expandGlob', () => {
  it('matches names within one level, dotfiles included', async () => {
    expect(await expand('home/*/.*history')).toEqual(['home/alice/.bash_history', 'home/bob/.zsh_history']);
  });

  it('matches any depth with a trailing ** and skips directories', async () => {
    expect(await expand('var/spool/cron/**')).toEqual([
      'var/spool/cron/atjobs/.SEQ',
      'var/spool/cron/crontabs/root',
    ]);
  });

  it('matches **/*.timer at any depth without following symlinked directories', async () => {
    expect(await expand('etc/systemd/system/**/*.timer')).toEqual([
      'etc/systemd/system/timers.target.wants/evil.timer',
    ]);
    expect(await expand('etc/systemd/system/**')).toEqual([
      'etc/systemd/system/alias.service',
      'etc/systemd/system/evil.service',
      'etc/systemd/system/timers.target.wants/evil.timer',
    ]);
  });

  it('yields nothing for absent directories and empty ones', async () => {
    expect(await expand('etc/cron.d/*')).toEqual([]);
    expect(await expand('nowhere/*/x')).toEqual([]);
  });
});
