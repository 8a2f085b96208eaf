// Builds the workspaces after `npm install`, so `npx quell up` works straight from a fresh clone.
// Skipped when the sources are not there yet (installing inside a partial checkout).
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

if (existsSync(new URL('../packages/core/src/index.ts', import.meta.url))) {
  execSync('npm run build', { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
}
