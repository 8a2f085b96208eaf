import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

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

/**
 * Server test files that run on one database only, because what they test does not touch it:
 * running them twice would spend minutes proving the same thing. Every other server test runs on
 * both SQLite and PostgreSQL; a file that exercises SQL, repos or transactions belongs there.
 * docs/testing.md lists them with the reasons.
 */
const SQLITE_ONLY = [
  // Detonations in bubblewrap + strace, seconds each; the store only records their report.
  'packages/server/test/sandbox.test.ts',
  'packages/server/test/analyses.test.ts',
];
const POSTGRES_ONLY = [
  // What the pg pool does when PostgreSQL ends its connections: SQLite has no connections to lose.
  'packages/server/test/store-reconnect.test.ts',
  // Several server instances on one database: a deployment PostgreSQL serves, never a SQLite file.
  'packages/server/test/agent-instances.test.ts',
  'packages/server/test/indicator-instances.test.ts',
];

const integration = (db: 'sqlite' | 'postgres') => ({
  extends: true as const,
  test: {
    name: `integration-${db}`,
    include: ['packages/server/test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(db === 'sqlite' ? POSTGRES_ONLY : SQLITE_ONLY)],
    env: { QUELL_TEST_DB: db },
    // PostgreSQL: the migrations run once per run, on a template each test's database copies.
    ...(db === 'postgres' && { globalSetup: ['packages/server/test/support/pg-template.global.ts'] }),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  resolve: { alias },
  test: {
    // Vitest's default on a 2-core machine is one worker (cores - 1), which runs the whole suite
    // file by file although most of a server, CLI or database test is spent waiting on I/O. Two
    // workers on two cores overlap those waits. The agent and browser projects opt out of file
    // parallelism (timing targets, one Chromium at a time), so they still run one file at a time.
    maxWorkers: 2,
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
