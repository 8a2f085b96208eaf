import { describe, expect, it } from 'vitest';
import { asBytesText, mentionsName, refersToPath } from './reference-match.js';

describe('refersToPath', () => {
  it.each([
    '* * * * * root /tmp/mal.sh',
    '* * * * * root /tmp/mal.sh >/dev/null 2>&1',
    '@reboot /tmp/mal.sh&',
    'ExecStart=/tmp/mal.sh --daemon',
    'ExecStart=-/tmp/mal.sh',
    'ExecStartPre=!/tmp/mal.sh',
    'nohup "/tmp/mal.sh" &',
    "sh -c '/tmp/mal.sh'",
    'x=$(/tmp/mal.sh)',
    '`/tmp/mal.sh`',
    '/lib/a.so:/tmp/mal.sh',
    'true;/tmp/mal.sh;true',
    '/tmp/mal.sh # started by the installer',
    '/tmp/mal.sh',
  ])('finds the path in %j', (line) => {
    expect(refersToPath(line, '/tmp/mal.sh')).toBe(true);
  });

  it.each([
    '/var/tmp/mal.sh',
    '/tmp/mal.sh.bak',
    '/tmp/mal.sh-old',
    '/tmp/mal.shx',
    '$HOME/tmp/mal.sh',
    '~/tmp/mal.sh',
    'cd /tmp && ./mal.sh',
    '/tmp/mal.sh/inner',
    'mal.sh',
  ])('does not take %j for the path', (line) => {
    expect(refersToPath(line, '/tmp/mal.sh')).toBe(false);
  });

  it('matches paths with spaces and non-ASCII bytes in byte-text form', () => {
    const path = asBytesText('/opt/é vil/x');
    expect(refersToPath(asBytesText('@reboot "/opt/é vil/x"\n'), path)).toBe(true);
  });
});

describe('mentionsName', () => {
  it('finds a basename used as a word, with a directory before it', () => {
    expect(mentionsName('cd /tmp && ./mal.sh', 'mal.sh')).toBe(true);
    expect(mentionsName('~/bin/mal.sh &', 'mal.sh')).toBe(true);
  });
  it('ignores parts of longer names and very short names', () => {
    expect(mentionsName('normal.sh', 'mal.sh')).toBe(false);
    expect(mentionsName('/usr/bin/x', 'x')).toBe(false);
  });
});
