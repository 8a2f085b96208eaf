import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('file configuration keys', () => {
  it('defaults to 3 GiB uploads and a cap of 1,000 devices', () => {
    const c = loadConfig({}, { dataDir: '/tmp/q' });
    expect([c.fileMaxBytes, c.fileQuarantineCap]).toEqual([3 * 1024 ** 3, 1000]);
  });

  it('reads QUELL_FILE_MAX_BYTES and QUELL_FILE_QUARANTINE_CAP and reports bad values together', () => {
    const c = loadConfig(
      { QUELL_FILE_MAX_BYTES: '1048576', QUELL_FILE_QUARANTINE_CAP: '50' },
      { dataDir: '/tmp/q' },
    );
    expect([c.fileMaxBytes, c.fileQuarantineCap]).toEqual([1048576, 50]);
    let err: unknown;
    try {
      loadConfig({ QUELL_FILE_MAX_BYTES: '3GB', QUELL_FILE_QUARANTINE_CAP: '0' }, { dataDir: '/tmp/q' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      expect.stringMatching(/^QUELL_FILE_MAX_BYTES="3GB" must be a whole number/),
      expect.stringMatching(/^QUELL_FILE_QUARANTINE_CAP="0" must be a whole number from 1 to 50000/),
    ]);
  });
});
