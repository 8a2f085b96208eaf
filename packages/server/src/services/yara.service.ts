import type { YaraRule, YaraRuleInput } from '@quell/contracts';
import { ConflictError, InputError, NotFoundError, type Principal } from '@quell/core';
import { toYaraRule } from '@quell/store';
import { audit, type ServiceContext } from './context.js';
import type { YaraCompiler } from './yara-compiler.js';

/** YARA rules the server distributes to agents for scans; each is compiled before it is saved. */
export class YaraService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly compiler: YaraCompiler,
  ) {}

  async list(): Promise<YaraRule[]> {
    return (await this.ctx.store.yara.list()).map(toYaraRule);
  }

  async create(principal: Principal, input: YaraRuleInput): Promise<YaraRule> {
    const check = await this.compiler.check(input.source);
    if (check.ok === false)
      throw new InputError(`The YARA rule does not compile: ${check.message}`, { name: input.name });
    if (check.ok === null) {
      // Agents compile the rules again before scanning and report a failure on the scan action.
      this.ctx.log.warn(
        { name: input.name, reason: check.message },
        'YARA rule saved without a compile check',
      );
    }
    const row = {
      id: this.ctx.ids.next('yara'),
      name: input.name,
      source: input.source,
      created_by: principal.name,
      created_at: this.ctx.clock.now(),
    };
    await this.ctx.store.transaction(async (trx) => {
      if (await this.ctx.store.yara.byName(trx, input.name))
        throw new ConflictError(`A YARA rule named "${input.name}" already exists; pick another name.`, {
          name: input.name,
        });
      await this.ctx.store.yara.insert(trx, row);
      await audit(this.ctx, trx, principal, 'yara_rule.created', row.id, {
        name: input.name,
        compiled: check.ok === true,
      });
    });
    return toYaraRule(row);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    await this.ctx.store.transaction(async (trx) => {
      const row = await this.ctx.store.yara.get(trx, id);
      if (!row || !(await this.ctx.store.yara.delete(trx, id)))
        throw new NotFoundError(`No YARA rule ${id}. List them with \`quell yara list\`.`, { id });
      await audit(this.ctx, trx, principal, 'yara_rule.deleted', id, { name: row.name });
    });
  }
}
