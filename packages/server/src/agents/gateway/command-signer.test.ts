import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commandSigningText, type Command } from '@quell/contracts';
import { canonicalCommandJson, InlineCommandSigner, WorkerCommandSigner } from './command-signer.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');

function command(i: number): Command {
  return {
    actionId: `act_${i}`,
    deviceId: `dev_${i % 7}`,
    type: 'run_av_scan',
    params: { scope: 'quick', yaraRules: [{ name: 'r', source: 'rule r { condition: true }' }] },
    issuedAt: 1_700_000_000_000 + i,
    expiresAt: 1_800_000_000_000,
    timeoutMs: 60_000,
  };
}

function verifies(c: Command, signature: string): boolean {
  return verify(
    null,
    Buffer.from(commandSigningText(canonicalCommandJson(c)), 'utf8'),
    publicKey,
    Buffer.from(signature, 'base64'),
  );
}

describe('WorkerCommandSigner', () => {
  it('signs a burst of commands on its thread, each verifiable and identical to signing inline', async () => {
    const signer = new WorkerCommandSigner(privateKey);
    const inline = new InlineCommandSigner(privateKey);
    try {
      const cmds = Array.from({ length: 1500 }, (_, i) => command(i));
      const signed = await Promise.all(cmds.map((c) => signer.sign(c)));
      expect(signed.map((m) => m.command.actionId)).toEqual(cmds.map((c) => c.actionId));
      for (const m of signed) expect(verifies(m.command, m.signature)).toBe(true);
      // Ed25519 is deterministic: the thread changes where it is signed, not what.
      const one = await inline.sign(cmds[42]!);
      expect(signed[42]!.signature).toBe(one.signature);
    } finally {
      await signer.close();
    }
  });

  it('keeps signing inline, and says so, when its worker dies', async () => {
    const reasons: string[] = [];
    const signer = new WorkerCommandSigner(privateKey, (why) => reasons.push(why));
    expect(verifies(command(1), (await signer.sign(command(1))).signature)).toBe(true);
    // Kill the thread under it, as a crash would.
    await (signer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await new Promise((r) => setTimeout(r, 20));
    const after = await Promise.all([2, 3, 4].map((i) => signer.sign(command(i))));
    for (const m of after) expect(verifies(m.command, m.signature)).toBe(true);
    expect(reasons).toEqual([expect.stringContaining('signing worker exited')]);
    await signer.close();
  });

  it('signs inline after close (commands built while the server shuts down still go out signed)', async () => {
    const signer = new WorkerCommandSigner(privateKey);
    await signer.close();
    const m = await signer.sign(command(9));
    expect(verifies(m.command, m.signature)).toBe(true);
  });
});
