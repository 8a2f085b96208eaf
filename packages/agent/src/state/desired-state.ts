import { registerContractKinds } from '@quell/contracts/agent';
import { join } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Type, type Static } from '@sinclair/typebox';
import { IsolationSpec } from '@quell/contracts/agent';
import { StateError } from '../errors.js';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';

const ManagementEndpointSchema = Type.Object({ address: Type.String(), port: Type.Integer() });

/**
 * The state the agent must hold the device in, whatever happens: set by state actions
 * (isolate/release, restrict/remove restriction), re-applied at start and by the boot unit,
 * re-asserted when tampered with. `management` is the channel endpoint list resolved when
 * isolation was set, so the boot-time unit can apply it before DNS works.
 */
export const DesiredState = Type.Object({
  isolation: Type.Union([
    Type.Object({
      spec: IsolationSpec,
      actionId: Type.String(),
      management: Type.Array(ManagementEndpointSchema),
    }),
    Type.Null(),
  ]),
  restriction: Type.Union([
    Type.Object({ actionId: Type.String(), allowSha256: Type.Array(Type.String()) }),
    Type.Null(),
  ]),
});
export type DesiredState = Static<typeof DesiredState>;

export const EMPTY_DESIRED_STATE: DesiredState = { isolation: null, restriction: null };

registerContractKinds();
const check = TypeCompiler.Compile(DesiredState);

/** `desired-state.json` in the state directory, written atomically. */
export class DesiredStateFile {
  readonly path: string;
  constructor(stateDir: string) {
    this.path = join(stateDir, 'desired-state.json');
  }

  async read(): Promise<DesiredState> {
    const raw = await readJsonFile(this.path);
    if (raw === null) return EMPTY_DESIRED_STATE;
    if (!check.Check(raw)) {
      // Refuse to guess: silently treating a damaged file as "not isolated" would release a
      // device that an analyst isolated.
      throw new StateError(`${this.path} does not hold a valid desired state; fix or remove it`);
    }
    return raw;
  }

  async write(state: DesiredState): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(state, null, 2)}\n`);
  }
}
