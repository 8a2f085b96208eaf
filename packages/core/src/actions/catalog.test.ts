import { describe, expect, it } from 'vitest';
import { ACTION_CATALOG, actionDefinition } from './catalog.js';
import { TARGET_KINDS } from '../vocab/action.js';

describe('action catalog', () => {
  it('pairs every reversible action with an undo of the same target kind that points back', () => {
    for (const def of ACTION_CATALOG) {
      if (!def.reversible) continue;
      expect('undo' in def, def.id).toBe(true);
      const undo = actionDefinition((def as { undo: string }).undo);
      expect(undo.targetKind).toBe(def.targetKind);
      expect(undo.undoOf).toBe(def.id);
      expect(undo.reversible).toBe(false);
    }
  });

  it('covers every kind of target the product acts on, with unique ids and sane roles', () => {
    const kinds = new Set(ACTION_CATALOG.map((d) => d.targetKind));
    for (const k of TARGET_KINDS.filter((k) => k !== 'incident')) expect(kinds.has(k), k).toBe(true);
    expect(new Set(ACTION_CATALOG.map((d) => d.id)).size).toBe(ACTION_CATALOG.length);
    for (const d of ACTION_CATALOG) {
      expect(d.requestRoles).not.toContain('viewer');
      expect(d.approveRoles).not.toContain('viewer');
      expect(d.readOnly && d.destructive, d.id).toBe(false);
      expect(d.params.additionalProperties).toBe(false);
    }
  });

  it('names the known types when asked for an unknown one', () => {
    expect(() => actionDefinition('format_c')).toThrow(/Unknown action type "format_c"/);
  });
});
