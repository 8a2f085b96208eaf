import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags that keep a connected, idle agent small (ARCHITECTURE §4: tens of MB resident, near
 * zero CPU). Both are read by V8 whenever it decides, not only when the heap is made, so setting
 * them at run time works, and works the same whether the agent's own bin or `quell agent run`
 * started the process. (`--max-semi-space-size` and `--lite-mode` are read once at start-up and
 * do nothing when set here; they would need a command line the `quell` CLI cannot give.)
 *
 * - `--no-turbofan` (alias `--no-opt`): no optimizing compiler. Once it has run, the node
 *   binary's compiler code pages and the memory its compile threads kept stay resident; this flag
 *   alone took the idle RSS mean from about 65 to 57 MB on the footprint bench. Nothing the agent
 *   does is hot enough to pay that back: idle CPU went down; a warm hash scan takes about 10% more
 *   instructions and the first few take fewer (no compiling), an investigation package zip the
 *   same CPU (hashing and compression are native; Sparkplug, the baseline compiler, stays on).
 * - `--semi-space-growth-factor=1`: the young generation keeps its initial 1 MB semi-spaces
 *   instead of growing (by about 13 MB of heap) during start-up and keeping that until a
 *   memory-reducing GC.
 *
 * With both, the idle RSS mean is 53–55 MB.
 */
export const IDLE_V8_FLAGS = ['--no-turbofan', '--semi-space-growth-factor=1'] as const;

let applied = false;

/** Applies {@link IDLE_V8_FLAGS} to this process, once; call it before loading the runtime. */
export function useIdleV8Flags(): void {
  if (applied) return;
  applied = true;
  for (const flag of IDLE_V8_FLAGS) setFlagsFromString(flag);
}
