import type { Command } from 'commander';

/** `quell file …` (issue 4). */
export function registerFile(program: Command): void {
  void program;
}
