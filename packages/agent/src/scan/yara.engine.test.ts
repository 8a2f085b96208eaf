import { describe, expect, it } from 'vitest';
import { parseYaraOutput, ruleSeverities } from './yara.engine.js';

describe('yara output and rule metadata', () => {
  it('parses namespaced matches, keeping spaces in paths', () => {
    const out = 'r0:Evil_One /tmp/a b.sh\nr12:Other /x\nerror scanning /y: could not open file\n';
    expect(parseYaraOutput(out)).toEqual([
      { ruleSet: 0, rule: 'Evil_One', path: '/tmp/a b.sh' },
      { ruleSet: 12, rule: 'Other', path: '/x' },
    ]);
  });

  it('reads severity meta per rule, mapping critical to high and ignoring unknown values', () => {
    const src = `
      private rule Helper { condition: true }
      rule A : tag1 tag2 { meta: author = "x" severity = "Low" strings: $a = { 00 01 } condition: $a }
      rule B { meta: severity = "critical" condition: true }
      rule C { meta: severity = "whatever" condition: true }
      rule D { condition: true }`;
    expect(Object.fromEntries(ruleSeverities(src))).toEqual({ A: 'low', B: 'high' });
  });
});
