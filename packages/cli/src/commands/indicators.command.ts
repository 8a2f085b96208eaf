import type { Command } from 'commander';

/** `quell indicators …` (issue 4). */
export function registerIndicators(program: Command): void {
  void program;
}
