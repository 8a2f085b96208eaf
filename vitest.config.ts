import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

/** Tests import the workspaces' sources, so a test run needs no build of the libraries under test. */
const alias = {
  '@quell/core': pkg('core'),
  // Before '@quell/contracts', which would otherwise take its subpath too (the first match wins).
  '@quell/contracts/agent': fileURLToPath(
    new URL('./packages/contracts/src/agent/index.ts', import.meta.url),
  ),
  '@quell/contracts': pkg('contracts'),
  '@quell/store': pkg('store'),
  '@quell/connectors': pkg('connectors'),
  '@quell/server': pkg('server'),
  '@quell/agent': pkg('agent'),
};

const integration = (db: 'sqlite' | 'postgres') => ({
  extends: true as const,
  test: {
    name: `integration-${db}`,
    include: ['packages/server/test/**/*.test.ts'],
    env: { QUELL_TEST_DB: db },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] } },
      integration('sqlite'),
      integration('postgres'),
      {
        // Real agents: nftables in network namespaces, fanotify on test mounts, yara, clamd.
        // Needs root; with CI set, a missing piece fails the run instead of skipping.
        extends: true,
        test: {
          name: 'agent',
          include: ['packages/agent/test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'cli',
          include: ['packages/cli/test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['packages/web/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
