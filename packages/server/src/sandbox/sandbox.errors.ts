import { NotSupportedError } from '@quell/core';

/**
 * The host cannot run detonations: a tool is missing (bubblewrap, strace, util-linux, bash) or
 * user namespaces are disabled. `details.missing` names what to install or enable.
 */
export class SandboxUnavailableError extends NotSupportedError {
  constructor(readonly missing: readonly string[]) {
    super(`Deep analysis cannot run on this host: missing ${missing.join(', ')}. Install or enable them.`, {
      missing,
    });
  }
}
