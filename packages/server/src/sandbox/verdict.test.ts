import type { Severity } from '@quell/core';
import { describe, expect, it } from 'vitest';
import type { Behaviour } from './report.schema.js';
import { scoreBehaviours } from './verdict.js';

const b = (severity: Severity): Behaviour => ({
  id: 'long_sleep',
  title: 't',
  techniqueId: 'T1497.003',
  tactic: 'defense-evasion',
  severity,
  evidence: [],
});

describe('verdict', () => {
  it.each([
    [[], 0, 'clean'],
    [['low'], 10, 'clean'],
    [['medium'], 30, 'suspicious'],
    [['high'], 60, 'suspicious'],
    [['high', 'low'], 65, 'suspicious'],
    [['medium', 'high'], 75, 'malicious'],
    [['high', 'high'], 90, 'malicious'],
    [['high', 'high', 'high', 'high'], 100, 'malicious'],
    [['low', 'low', 'low', 'low', 'low', 'low'], 20, 'clean'],
  ] as const)('scores %j as %i (%s)', (severities, score, verdict) => {
    expect(scoreBehaviours(severities.map(b))).toEqual({ score, verdict });
  });
});
