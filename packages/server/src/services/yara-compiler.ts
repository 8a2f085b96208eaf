import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What compiling a rule said: fine, wrong (with the compiler's message), or no compiler here. */
export type YaraCheck = { ok: true } | { ok: false; message: string } | { ok: null; message: string };

/** The port through which rules are compiled before they are saved. */
export interface YaraCompiler {
  check(source: string): Promise<YaraCheck>;
}

const TIMEOUT_MS = 20_000;

/**
 * Compiles with `yarac` from PATH (the Debian `yara` package). Only the compiler's own
 * diagnostics count as "invalid"; a missing binary is reported as unavailable.
 */
export class YaracCompiler implements YaraCompiler {
  constructor(private readonly binary = 'yarac') {}

  async check(source: string): Promise<YaraCheck> {
    const dir = await mkdtemp(join(tmpdir(), 'quell-yara-'));
    try {
      const rule = join(dir, 'rule.yar');
      await writeFile(rule, source);
      return await new Promise<YaraCheck>((resolve) => {
        execFile(
          this.binary,
          [rule, join(dir, 'rule.yarc')],
          { timeout: TIMEOUT_MS, maxBuffer: 1024 * 1024 },
          (err, _stdout, stderr) => {
            if (!err) return resolve({ ok: true });
            if ((err as NodeJS.ErrnoException).code === 'ENOENT')
              return resolve({ ok: null, message: `${this.binary} is not installed` });
            // yarac names the temp file in each diagnostic; the user only needs line and reason.
            const message = (stderr || err.message).split(`${rule}`).join('rule').trim();
            resolve({ ok: false, message: message || 'the YARA compiler refused the rule' });
          },
        );
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
