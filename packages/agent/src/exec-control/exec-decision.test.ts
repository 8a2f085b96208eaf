import { describe, expect, it } from 'vitest';
import type { BlocklistVerdict, ExecBlocklist, ExecDigests } from '../ports.js';
import { decideExec } from './exec-decision.js';
import type { ExecSubject, TrustDecision, TrustPolicy } from './trust-policy.js';

const D: ExecDigests = { sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32) };
const subject: ExecSubject = {
  packagePath: '/usr/bin/x',
  contentPath: '/proc/1/fd/3',
  file: { dev: 1n, ino: 2n, size: 3n, mtimeNs: 4n, ctimeNs: 5n },
};

/** A trust policy that answers the restricted decision it is given, and counts calls. */
function trust(restricted: TrustDecision, digest: () => Promise<ExecDigests | null> = async () => D) {
  const calls = { decide: 0 };
  const t: TrustPolicy = {
    prepare: async () => undefined,
    digest,
    decide: async () => {
      calls.decide++;
      return restricted;
    },
  };
  return { t, calls };
}
const list = (v: BlocklistVerdict | null): ExecBlocklist => ({ decide: () => v });
const packaged: TrustDecision = { allow: true, reason: 'package', sha256: D.sha256 };
const untrusted: TrustDecision = { allow: false, reason: 'untrusted', sha256: D.sha256 };
const block = list({ verdict: 'block', indicatorId: 'ind-1' });
const allow = list({ verdict: 'allow', indicatorId: 'ind-2' });

describe('decideExec', () => {
  it('denies a blocked hash in blocklist mode, naming the indicator, and allows the rest', async () => {
    const { t, calls } = trust(untrusted);
    expect(await decideExec({ mode: 'blocklist', blocklist: block, trust: t, subject })).toEqual({
      allow: false,
      reason: 'blocked_indicator',
      sha256: D.sha256,
      indicatorId: 'ind-1',
    });
    expect(await decideExec({ mode: 'blocklist', blocklist: list(null), trust: t, subject })).toEqual({
      allow: true,
      reason: 'not_blocked',
      sha256: D.sha256,
    });
    // Blocklist mode never asks the package policy.
    expect(calls.decide).toBe(0);
  });

  it('denies a blocked hash while restricted even when the file is package-owned', async () => {
    const { t } = trust(packaged);
    expect(await decideExec({ mode: 'restricted', blocklist: block, trust: t, subject })).toMatchObject({
      allow: false,
      reason: 'blocked_indicator',
    });
  });

  it('does not widen a restriction with an allow indicator', async () => {
    const { t } = trust(untrusted);
    expect(await decideExec({ mode: 'restricted', blocklist: allow, trust: t, subject })).toEqual(untrusted);
    expect(await decideExec({ mode: 'restricted', blocklist: null, trust: t, subject })).toEqual(untrusted);
  });

  it('fails open in blocklist mode and closed while restricted when a file cannot be hashed', async () => {
    const tooLarge = trust(untrusted, async () => null).t;
    const broken = trust(untrusted, async () => {
      throw new Error('EIO');
    }).t;
    for (const [t, reason] of [
      [tooLarge, 'too_large'],
      [broken, 'unreadable'],
    ] as const) {
      expect(await decideExec({ mode: 'blocklist', blocklist: block, trust: t, subject })).toMatchObject({
        allow: true,
        reason,
      });
      expect(await decideExec({ mode: 'restricted', blocklist: block, trust: t, subject })).toMatchObject({
        allow: false,
        reason,
      });
    }
  });
});
