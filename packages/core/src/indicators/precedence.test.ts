import { describe, expect, it } from 'vitest';
import type { IndicatorAction } from '../vocab/indicator.js';
import { resolveIndicatorPrecedence, type PrecedenceCandidate } from './precedence.js';

/** `id` reads as action@scope; `createdAt` is the order in which the fixtures were written. */
function ind(id: string, action: IndicatorAction, groups: string[], createdAt: number): PrecedenceCandidate {
  return { id, action, deviceGroupIds: groups, createdAt };
}

const allBlock = ind('block@all', 'block', [], 1);
const allAllow = ind('allow@all', 'allow', [], 2);
const allAudit = ind('audit@all', 'audit', [], 3);
const allRemediate = ind('remediate@all', 'block_and_remediate', [], 4);
const finBlock = ind('block@fin', 'block', ['fin'], 5);
const finAudit = ind('audit@fin', 'audit', ['fin', 'hr'], 6);
const hrAllow = ind('allow@hr', 'allow', ['hr'], 7);
const allBlockNewer = ind('block@all-newer', 'block', [], 8);
const allBlockSameTimeZ = ind('z-block@all', 'block', [], 8);

describe('indicator precedence', () => {
  it.each([
    ['nothing matched', [], 'fin', null],
    ['one all-devices indicator', [allBlock], null, 'block@all'],
    ['allow beats block at the same scope', [allBlock, allAllow], 'fin', 'allow@all'],
    ['block_and_remediate beats block and audit', [allAudit, allBlock, allRemediate], 'fin', 'remediate@all'],
    ['block beats audit', [allAudit, allBlock], 'fin', 'block@all'],
    ['a group indicator beats an all-devices allow', [allAllow, finBlock], 'fin', 'block@fin'],
    ['even a group audit beats an all-devices block', [allRemediate, finAudit], 'hr', 'audit@fin'],
    ['another group’s indicator does not apply', [allBlock, hrAllow], 'fin', 'block@all'],
    ['an ungrouped device sees only all-devices ones', [finBlock, allAudit], null, 'audit@all'],
    ['only other groups’ indicators: none applies', [finBlock, hrAllow], 'ops', null],
    ['rank within the group scope', [finAudit, finBlock], 'fin', 'block@fin'],
    ['allow within the group scope', [finBlock, finAudit, hrAllow], 'hr', 'allow@hr'],
    ['the newest wins a tie on scope and action', [allBlockNewer, allBlock], 'fin', 'block@all-newer'],
    ['the greater id wins a tie on time', [allBlockSameTimeZ, allBlockNewer], 'fin', 'z-block@all'],
  ] as const)('%s', (_name, matches, group, want) => {
    expect(resolveIndicatorPrecedence(matches, group)?.id ?? null).toBe(want);
    // The answer never depends on the order the store returned the matches in.
    expect(resolveIndicatorPrecedence([...matches].reverse(), group)?.id ?? null).toBe(want);
  });

  it('returns the caller’s own object, with its extra fields', () => {
    const m = { ...finBlock, value: '192.0.2.1' };
    expect(resolveIndicatorPrecedence([m], 'fin')).toBe(m);
  });
});
