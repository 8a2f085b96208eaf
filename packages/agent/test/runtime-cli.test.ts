import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runAgentCli } from '../src/index.js';
import { makeCert, ProtocolServer } from './support/protocol-server.js';

let server: ProtocolServer;
let dir: string;
let out: string[];
let err: string[];

beforeAll(async () => {
  server = await ProtocolServer.start(makeCert());
});
afterAll(() => server.stop());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quell-agent-cli-'));
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runAgentCli(['node', 'quell-agent', ...args]);

describe('quell-agent CLI', () => {
  it('enrolls, writes the config, and shows the status', async () => {
    const config = join(dir, 'agent.json');
    await cli(
      'enroll',
      '--server',
      server.url,
      '--token',
      server.token(),
      '--config',
      config,
      '--state-dir',
      join(dir, 'state'),
    );
    expect(err.join('')).not.toMatch(/error:/);
    expect(out.join('')).toMatch(/enrolled as dev-\d+/);
    const written = JSON.parse(await readFile(config, 'utf8'));
    expect(written).toMatchObject({
      serverUrl: server.url,
      certSha256: server.certSha256,
      stateDir: join(dir, 'state'),
    });

    out.length = 0;
    await cli('status', '--config', config);
    const status = JSON.parse(out.join(''));
    expect(status).toMatchObject({
      deviceId: written.deviceId,
      desired: { isolation: null, restriction: null },
      pendingResults: 0,
    });
  });

  it('prints the error with its code and fails on a bad token', async () => {
    await cli('enroll', '--server', server.url, '--token', 'nope', '--config', join(dir, 'agent.json'));
    expect(process.exitCode).toBe(1);
    expect(err.join('')).toMatch(/error: the enrollment token is not in the form .*\(QUELL_E_AGENT_TOKEN\)/);
  });

  it('lists every bad config key at once', async () => {
    const config = join(dir, 'agent.json');
    await (
      await import('node:fs/promises')
    ).writeFile(config, JSON.stringify({ serverUrl: 'http://x', certSha256: 'z', logLevel: 'loud' }));
    await cli('status', '--config', config);
    expect(process.exitCode).toBe(1);
    const text = err.join('');
    expect(text).toMatch(/serverUrl/);
    expect(text).toMatch(/certSha256/);
    expect(text).toMatch(/logLevel/);
  });

  it('rejects an unknown command as a usage error', async () => {
    await cli('frobnicate');
    expect(process.exitCode).toBe(2);
  });
});
