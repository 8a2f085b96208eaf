#!/usr/bin/env node
import { runAgentMain } from '../dist/main.js';

await runAgentMain(process.argv);
