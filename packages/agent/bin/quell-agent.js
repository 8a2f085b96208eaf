#!/usr/bin/env node
import { runAgentCli } from '../dist/index.js';
await runAgentCli(process.argv);
