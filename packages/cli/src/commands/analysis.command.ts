import type { Command } from 'commander';

/** `quell analysis …` (issue 4). */
export function registerAnalysis(program: Command): void {
  void program;
}
