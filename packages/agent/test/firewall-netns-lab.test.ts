import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, ROOT, run, type NetLab } from './support/netns.js';
import { cmd, requirements, ROOT as ROOT_USER } from './support/requirements.js';

const missing = requirements([ROOT_USER, cmd('ip', 'iproute2')]);

describe.skipIf(missing.length)('network namespace lab (test support)', () => {
  let lab: NetLab;
  beforeAll(async () => {
    lab = await createLab({ nodes: ['dev', 'peer'] });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('connects nodes to each other over IPv4 and IPv6', async () => {
    await lab.listen('peer', 7001);
    expect(await lab.canConnect('dev', lab.ip('peer'), 7001)).toBe(true);
    expect(await lab.canConnect('dev', lab.ip6('peer'), 7001)).toBe(true);
    expect(await lab.canConnect('dev', lab.ip('peer'), 7002, 500)).toBe(false);
  });

  it('reaches a server in the root namespace (the test process) from a node', async () => {
    await lab.listen(ROOT, 7003, lab.ip(ROOT));
    expect(await lab.canConnect('dev', lab.ip(ROOT), 7003)).toBe(true);
    const conn = await lab.connect('dev', lab.ip(ROOT), 7003);
    expect(await conn.ping()).toBe(true);
    conn.close();
  });

  it('removes its namespaces and root link on destroy, also when called twice', async () => {
    const other = await createLab({ nodes: ['a'] });
    const ns = other.nsName('a');
    await other.listen('a', 7004);
    await other.destroy();
    await other.destroy();
    expect((await run(['ip', 'netns', 'list'])).stdout).not.toContain(ns);
    expect((await run(['ip', 'link', 'show', `qlab${other.id}`])).code).not.toBe(0);
  });
});
