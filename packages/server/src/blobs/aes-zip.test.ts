import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { writeAesZip } from './aes-zip.js';

const have7z = existsSync('/usr/bin/7z');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('AES-256 zip of a sample', () => {
  it('refuses a short password before writing anything', async () => {
    const out = new PassThrough();
    let written = 0;
    out.on('data', (c: Buffer) => (written += c.length));
    await expect(
      writeAesZip([{ name: 'a', content: Readable.from([Buffer.from('x')]) }], out, 'short'),
    ).rejects.toThrow(/10 to 256 characters/);
    expect(written).toBe(0);
  });

  it.skipIf(!have7z && !process.env.CI)(
    'opens in 7-Zip with the password, with the same content, and not without it',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'quell-zip-'));
      dirs.push(dir);
      const body = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
      body.write('#!/bin/sh\necho not really malware\n');
      const zipPath = join(dir, 'sample.zip');
      const out = createWriteStream(zipPath);
      await writeAesZip(
        [{ name: 'dropper.sh', content: Readable.from([body.subarray(0, 1000), body.subarray(1000)]) }],
        out,
        'correct horse battery',
      );
      await finished(out);
      const listing = execFileSync('7z', ['l', '-slt', '-pcorrect horse battery', zipPath], {
        encoding: 'utf8',
      });
      expect(listing).toMatch(/Method = AES-256/);
      execFileSync('7z', ['x', '-y', `-o${join(dir, 'out')}`, '-pcorrect horse battery', zipPath], {
        stdio: 'ignore',
      });
      const back = readFileSync(join(dir, 'out', 'dropper.sh'));
      expect(createHash('sha256').update(back).digest('hex')).toBe(
        createHash('sha256').update(body).digest('hex'),
      );
      expect(() =>
        execFileSync('7z', ['x', '-y', `-o${join(dir, 'bad')}`, '-pwrong password!', zipPath], {
          stdio: 'ignore',
        }),
      ).toThrow();
    },
  );
});
