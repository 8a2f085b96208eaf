#!/usr/bin/env node
// Writes docs/openapi.json from the route table (the one schema source), or with --check fails
// when the committed file has drifted from the code. Needs the packages built (npm run build).
import { readFileSync, writeFileSync } from 'node:fs';
import pino from 'pino';
import { createStore } from '@quell/store';
import { buildApp, createIds, createServices, systemClock } from '@quell/server';

const target = new URL('../docs/openapi.json', import.meta.url);
const store = await createStore({ kind: 'sqlite', file: ':memory:' });
const services = createServices({
  store,
  clock: systemClock,
  ids: createIds(systemClock),
  log: pino({ level: 'silent' }),
});
const app = await buildApp({ services, version: '0.1.0' });
await app.ready();
const doc = `${JSON.stringify(app.swagger(), null, 2)}\n`;
await app.close();
await store.close();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // Missing counts as drift.
  }
  if (current !== doc) {
    console.error(
      'docs/openapi.json is out of date with the route table: run `npm run openapi` and commit it.',
    );
    process.exit(1);
  }
  console.log('docs/openapi.json matches the route table.');
} else {
  writeFileSync(target, doc);
  console.log(`wrote ${target.pathname}`);
}
