#!/usr/bin/env node
import v8 from 'node:v8';

// A small young generation: the agent allocates little and steadily, and V8's default lets new
// space grow to tens of MB of resident memory an idle agent never needs (target: ≤ 64 MB).
v8.setFlagsFromString('--max-semi-space-size=1');
// The CLI module only (imported after the flag is set): the package index would load every module.
const { runAgentCli } = await import('../dist/cli.js');
await runAgentCli(process.argv);
