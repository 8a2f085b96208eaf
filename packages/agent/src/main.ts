import { useIdleV8Flags } from './footprint.js';

/**
 * Entry for a process that starts as the agent: the `quell-agent` bin (the systemd unit), and
 * `quell agent …` when it hands over before loading its own commands. The idle V8 flags go on
 * before the CLI module, and with it the whole runtime, is loaded: set later, the optimizing
 * compiler has already run on the start-up work and its memory stays resident (5 MB more RSS
 * mean, 9 MB more max on the footprint bench). Short commands (enroll, status) run under them
 * too, at no measurable cost. `argv` is shaped like `process.argv`.
 */
export async function runAgentMain(argv: readonly string[]): Promise<void> {
  useIdleV8Flags();
  // The CLI module only: the package index would load every module, scanner and collector too.
  const { runAgentCli } = await import('./cli.js');
  await runAgentCli(argv);
}
