// Builds the workspaces after `npm install`, so `npx quell up` works straight from a fresh clone.
// Skipped when the sources are not there yet (installing inside a partial checkout).
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const root = new URL('..', import.meta.url);

if (existsSync(new URL('../packages/core/src/index.ts', import.meta.url))) {
  execSync('npm run build', { stdio: 'inherit', cwd: root });
}

// The agent's exec-control helper is C (fanotify). Without a compiler the install still succeeds;
// only "restrict app execution" stays unavailable until the helper is built.
const native = new URL('../packages/agent/native/', import.meta.url);
if (existsSync(new URL('quell-execd.c', native))) {
  let hasCc = false;
  try {
    execSync('command -v gcc && command -v make', { stdio: 'ignore', shell: '/bin/sh' });
    hasCc = true;
  } catch {
    console.warn(
      'note: gcc/make not found, so the agent exec-control helper was not built. Install them (Debian: gcc make) and run `npm run build:native -w @quell/agent` to enable "restrict app execution".',
    );
  }
  if (hasCc) {
    try {
      execSync('make -s', { stdio: 'inherit', cwd: native });
    } catch {
      console.warn(
        'note: building the agent exec-control helper failed (see above); the rest of the install is fine.',
      );
    }
  }
}
