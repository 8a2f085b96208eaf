import type { ActionKind, ExecutorKind, TargetKind } from '../vocab/action.js';
import type { Role } from '../vocab/access.js';
import type { JsonSchema } from './json-schema.js';

/** One action type, declared once as data. UI, CLI, API, approvals and playbooks all read this. */
export interface ActionDefinition<Id extends string = string> {
  id: Id;
  title: string;
  description: string;
  /** What the action is aimed at; the request's `target` must be of this kind. */
  targetKind: TargetKind;
  kind: ActionKind;
  params: JsonSchema & { type: 'object' };
  result: JsonSchema & { type: 'object' };
  /** Changes something that a person would want to look at twice (two-person rule applies). */
  destructive: boolean;
  /** Can be reversed by `undo`. */
  reversible: boolean;
  /** Observes only; never changes the target. */
  readOnly: boolean;
  /** The action that reverses this one (required when `reversible`). */
  undo?: string;
  /** Marks an action that is itself the inverse of another; it cannot be undone again. */
  undoOf?: string;
  requestRoles: readonly Role[];
  approveRoles: readonly Role[];
  /** What can carry it out, first match wins. */
  executors: readonly ExecutorKind[];
  /** How long a queued action waits for its executor before it expires (ms); default from config. */
  defaultTtlMs?: number;
  /** How long one run may take before the dispatcher counts it failed (ms). */
  timeoutMs: number;
  /** MITRE D3FEND-ish grouping shown in the console. */
  category: 'device' | 'file' | 'identity' | 'mailbox' | 'indicator' | 'investigation' | 'notification';
}
