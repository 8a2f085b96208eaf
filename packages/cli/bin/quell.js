#!/usr/bin/env node
// `quell agent …` hands over to the agent before the CLI loads anything, so the long-running
// agent starts with its own small footprint (no CLI commands, no server contracts, V8 flags set
// first) exactly as the systemd unit's `quell-agent` does.
if (process.argv[2] === 'agent') {
  const { runAgentMain } = await import('@quell/agent/main');
  await runAgentMain([process.argv[0], 'quell-agent', ...process.argv.slice(3)]);
} else {
  await import('../dist/main.js');
}
