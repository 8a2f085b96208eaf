import { describe, expect, it } from 'vitest';
import { forcedCommand, keyOptions } from './authorized-keys.js';
import { appendRanges, reinsertRanges, removeRanges, splitLines } from './line-edit.js';
import { referringLines, suspectLines } from './line-persistence.js';
import { activatedUnits, desktopCommands, unitCommands } from './unit-file.js';

const P = ['/tmp/mal.sh'];

describe('referringLines', () => {
  it('finds cron lines that run the file, not comments or other paths', () => {
    const lines = splitLines(
      '# /tmp/mal.sh was here\n*/5 * * * * root /tmp/mal.sh\n0 1 * * * root /tmp/mal.sh.bak\n@reboot root /tmp/mal.sh >/dev/null\n',
    );
    expect(referringLines('cron', lines, P)).toEqual([
      { start: 1, end: 2 },
      { start: 3, end: 4 },
    ]);
  });

  it('takes a shell command with its continuation lines', () => {
    const lines = splitLines('export A=1\nnohup /tmp/mal.sh \\\n  --quiet \\\n  &\necho hi\n');
    expect(referringLines('shell_rc', lines, P)).toEqual([{ start: 1, end: 4 }]);
  });

  it('does not join continuation lines in cron, which has none', () => {
    const lines = splitLines('* * * * * root echo \\\n* * * * * root /tmp/mal.sh\n');
    expect(referringLines('cron', lines, P)).toEqual([{ start: 1, end: 2 }]);
  });

  it('removes an authorized key only when its forced command runs the file', () => {
    const lines = splitLines(
      [
        'ssh-ed25519 AAAAC3Nza legit@host',
        'command="/tmp/mal.sh",no-pty ssh-ed25519 AAAAC3Nzb evil@host',
        'ssh-ed25519 AAAAC3Nzc comment mentions /tmp/mal.sh',
        'from="10.0.0.1",command="echo \\"/tmp/mal.sh\\" ok" ssh-rsa AAAAB3 x',
        '',
      ].join('\n'),
    );
    expect(referringLines('authorized_keys', lines, P)).toEqual([
      { start: 1, end: 2 },
      { start: 3, end: 4 },
    ]);
  });

  it('reports basename-only mentions as suspects without removing them', () => {
    const lines = splitLines('cd /tmp && ./mal.sh\n/tmp/mal.sh\n');
    expect(referringLines('shell_rc', lines, P)).toEqual([{ start: 1, end: 2 }]);
    expect(suspectLines('shell_rc', lines, P, ['mal.sh'])).toEqual([0]);
  });
});

describe('authorized_keys options', () => {
  it('reads options with quoted commas and spaces', () => {
    const line = 'command="a, b c",no-pty ssh-ed25519 AAAA k';
    expect(keyOptions(line)).toBe('command="a, b c",no-pty');
    expect(forcedCommand(line)).toBe('a, b c');
    expect(forcedCommand('ssh-ed25519 AAAA command="x"')).toBeNull();
  });
});

describe('line edits', () => {
  it.each([
    ['a\nb\nc\n', [{ start: 1, end: 2 }]],
    ['a\nb\nc', [{ start: 2, end: 3 }]],
    [
      'a\nb\nc',
      [
        { start: 0, end: 1 },
        { start: 2, end: 3 },
      ],
    ],
    ['only\n', [{ start: 0, end: 1 }]],
    ['a\r\nb\r\n\xff\xfe\n', [{ start: 1, end: 3 }]],
  ])('reinserting what was removed from %j gives the same bytes', (text, ranges) => {
    const { text: after, removed } = removeRanges(splitLines(text), ranges);
    expect(after).not.toBe(text);
    expect(reinsertRanges(after, removed)).toBe(text);
  });

  it('appends runs missing from a changed file, once', () => {
    const removed = [{ index: 1, text: 'evil' }];
    expect(appendRanges('a\nnew', removed)).toEqual({ text: 'a\nnew\nevil\n', appended: 1 });
    expect(appendRanges('a\nevil\nb\n', removed)).toEqual({ text: 'a\nevil\nb\n', appended: 0 });
  });
});

describe('unit and desktop files', () => {
  it('reads every Exec*= line, joined across continuations, ignoring comments', () => {
    const unit =
      '[Unit]\nDescription=x\n[Service]\n# ExecStart=/nope\nExecStartPre=-/bin/true\nExecStart=/tmp/mal.sh \\\n  --flag\n';
    expect(unitCommands(unit)).toEqual(['-/bin/true', '/tmp/mal.sh    --flag']);
  });
  it('reads Exec and TryExec from every group', () => {
    const d = '[Desktop Entry]\nExec=/tmp/mal.sh %U\nTryExec=/tmp/x\n[Desktop Action n]\nExec=/tmp/y\n';
    expect(desktopCommands(d)).toEqual(['/tmp/mal.sh %U', '/tmp/x', '/tmp/y']);
  });
  it('knows which unit a timer starts', () => {
    expect(activatedUnits('a.timer', '[Timer]\nOnBootSec=1\n')).toEqual(['a.service']);
    expect(activatedUnits('a.timer', '[Timer]\nUnit=b.service\n')).toEqual(['b.service']);
    expect(activatedUnits('a.service', '')).toEqual([]);
  });
});
