import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { configProblems, withDefaults, type AgentConfig, type AgentConfigFile } from './agent-config.js';

/** Reads the raw config file; null when it does not exist (not enrolled yet). */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read the config file ${path}: ${(e as Error).message}`, [], { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ConfigError(`the config file ${path} is not valid JSON: ${(e as Error).message}`, [], {
      cause: e,
    });
  }
}

/** Validates a parsed config, reporting every bad key at once. */
export function parseConfig(raw: unknown, path: string): AgentConfig {
  const problems = configProblems(raw);
  if (problems.length) {
    throw new ConfigError(
      `the config file ${path} has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`,
      problems,
    );
  }
  return withDefaults(raw as AgentConfigFile);
}

/**
 * Loads and validates the config at `path`. A missing file is reported as "not enrolled",
 * because enroll is what creates it.
 */
export async function loadConfig(path: string): Promise<AgentConfig> {
  const raw = await readConfigFile(path);
  if (raw === null) {
    throw new ConfigError(
      `no config file at ${path}: run \`quell-agent enroll --server URL --token TOKEN\` first (or pass --config)`,
    );
  }
  return parseConfig(raw, path);
}

/** Writes the config file atomically (0600: it names the device and the pinned server). */
export async function saveConfigFile(path: string, file: AgentConfigFile): Promise<void> {
  const problems = configProblems(file);
  if (problems.length) throw new ConfigError(`refusing to write an invalid config to ${path}`, problems);
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}
