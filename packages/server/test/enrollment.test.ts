import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnrollRequest } from '@quell/contracts';
import { rowCounts } from './probes.js';
import { createHarness, HOUR, postgresAvailable, TEST_DB, type Harness } from './harness.js';

const enabled = TEST_DB === 'sqlite' || (await postgresAvailable());

/** A fresh agent identity: the Ed25519 public key as the agent sends it. */
function agentKey(): string {
  return generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

function enrollRequest(token: string, hostname = 'web01', over: Partial<EnrollRequest> = {}): EnrollRequest {
  return {
    token,
    publicKey: agentKey(),
    inventory: {
      hostname,
      os: 'debian',
      osVersion: '12',
      kernel: '6.1.0-18-amd64',
      arch: 'x86_64',
      addresses: ['10.0.0.5'],
      agentVersion: '0.3.0',
      machineId: 'a1b2c3',
      capabilities: ['yara'],
    },
    ...over,
  };
}

describe.skipIf(!enabled)(`agent enrollment (${TEST_DB})`, () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const createToken = async (body: Record<string, unknown> = { label: 'web fleet' }) => {
    const r = await h.api('POST', '/api/enrollment-tokens', h.adminToken, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };

  it('creates a token that pins the listener certificate, lists it without its secret and audits it', async () => {
    const created = await createToken({ label: 'web fleet', expiresInHours: 2, tags: ['web'] });
    const keys = await h.services.agentKeys.get();
    expect(created.token).toMatch(new RegExp(`^qe1\\.[A-Za-z0-9_-]{43}\\.${keys.certSha256}$`));
    expect(created).toMatchObject({
      label: 'web fleet',
      status: 'active',
      certSha256: keys.certSha256,
      tags: ['web'],
      expiresAt: new Date(h.clock.now() + 2 * HOUR).toISOString(),
      agentUrl: expect.stringMatching(/^https:\/\//),
    });
    const list = await h.api('GET', '/api/enrollment-tokens', h.adminToken);
    expect(list.body.items).toEqual([expect.objectContaining({ id: created.id, status: 'active' })]);
    expect(JSON.stringify(list.body)).not.toContain(created.token.split('.')[1]);
    const audit = await h.api('GET', `/api/audit?subject=${created.id}`, h.adminToken);
    expect(JSON.stringify(audit.body)).toContain('enrollment_token.created');
    expect(JSON.stringify(audit.body)).not.toContain(created.token.split('.')[1]);
  });

  it('enrolls a device once with a token and refuses the token again', async () => {
    const { token, id } = await createToken();
    const res = await h.services.enrollment.enroll(enrollRequest(token));
    const keys = await h.services.agentKeys.get();
    expect(res).toMatchObject({
      serverPublicKey: keys.signingPublicKeySpkiB64,
      heartbeatMs: 15_000,
      tags: [],
    });
    const before = await rowCounts(h.store);
    await expect(h.services.enrollment.enroll(enrollRequest(token, 'web02'))).rejects.toMatchObject({
      code: 'QUELL_E_NOT_ALLOWED',
      details: { reason: 'token_used' },
    });
    expect(await rowCounts(h.store)).toEqual(before);
    const tokens = (await h.api('GET', '/api/enrollment-tokens', h.adminToken)).body.items;
    expect(tokens[0]).toMatchObject({ id, status: 'used', usedByDeviceId: res.deviceId });
  });

  it('refuses an expired token and writes nothing', async () => {
    const { token } = await createToken({ label: 'short', expiresInHours: 1 });
    h.clock.advance(HOUR + 1);
    const before = await rowCounts(h.store);
    await expect(h.services.enrollment.enroll(enrollRequest(token))).rejects.toMatchObject({
      details: { reason: 'token_expired' },
    });
    expect(await rowCounts(h.store)).toEqual(before);
    const tokens = (await h.api('GET', '/api/enrollment-tokens', h.adminToken)).body.items;
    expect(tokens[0].status).toBe('expired');
  });

  it('refuses a revoked token, and a used token cannot be revoked', async () => {
    const a = await createToken({ label: 'a' });
    const revoked = await h.api('DELETE', `/api/enrollment-tokens/${a.id}`, h.adminToken);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    await expect(h.services.enrollment.enroll(enrollRequest(a.token))).rejects.toMatchObject({
      details: { reason: 'token_revoked' },
    });
    const b = await createToken({ label: 'b' });
    await h.services.enrollment.enroll(enrollRequest(b.token));
    const again = await h.api('DELETE', `/api/enrollment-tokens/${b.id}`, h.adminToken);
    expect(again.status).toBe(409);
    expect((await h.api('DELETE', '/api/enrollment-tokens/enr_nope', h.adminToken)).status).toBe(404);
  });

  it('enrolls exactly one device when five agents race with one token', async () => {
    const { token } = await createToken();
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((i) => h.services.enrollment.enroll(enrollRequest(token, `race${i}`))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toMatchObject({ details: { reason: 'token_used' } });
    const enrolled = await h.api('GET', '/api/devices?enrolled=true', h.adminToken);
    expect(enrolled.body.items).toHaveLength(1);
  });

  it.each([
    ['not base64', 'this is not a key at all, not even base64!!'],
    [
      'an RSA key',
      generateKeyPairSync('rsa', { modulusLength: 1024 })
        .publicKey.export({ type: 'spki', format: 'der' })
        .toString('base64'),
    ],
    ['random bytes', Buffer.alloc(44, 7).toString('base64')],
  ])(
    'refuses %s as the public key and writes nothing, leaving the token usable',
    async (_name, publicKey) => {
      const { token } = await createToken();
      const before = await rowCounts(h.store);
      await expect(
        h.services.enrollment.enroll(enrollRequest(token, 'web01', { publicKey })),
      ).rejects.toMatchObject({
        code: 'QUELL_E_INPUT',
      });
      expect(await rowCounts(h.store)).toEqual(before);
      await expect(h.services.enrollment.enroll(enrollRequest(token))).resolves.toBeDefined();
    },
  );

  it('refuses a malformed token and one pinning another certificate', async () => {
    const { token } = await createToken();
    await expect(h.services.enrollment.enroll(enrollRequest('qe1.short'))).rejects.toMatchObject({
      code: 'QUELL_E_INPUT',
    });
    const otherCert = token.replace(/\.[a-f0-9]{64}$/, `.${'0'.repeat(64)}`);
    await expect(h.services.enrollment.enroll(enrollRequest(otherCert))).rejects.toMatchObject({
      details: { reason: 'certificate_mismatch' },
    });
    const unknown = token.replace(/^qe1\.[^.]+/, `qe1.${'A'.repeat(43)}`);
    await expect(h.services.enrollment.enroll(enrollRequest(unknown))).rejects.toMatchObject({
      details: { reason: 'token_unknown' },
    });
  });

  it('puts the device in the token’s pinned group with its tags, and alerts do not move it', async () => {
    const group = await h.api('POST', '/api/device-groups', h.adminToken, {
      name: 'Servers',
      rank: 1,
      rule: { namePattern: 'srv*' },
      automationLevel: 'full',
    });
    const { token } = await createToken({
      label: 'pinned',
      deviceGroupId: group.body.id,
      tags: ['dmz', 'web'],
    });
    const res = await h.services.enrollment.enroll(enrollRequest(token, 'WEB01'));
    expect(res).toMatchObject({ deviceGroupId: group.body.id, tags: ['dmz', 'web'] });
    await h.api('POST', '/api/alerts', h.adminToken, {
      title: 'x',
      severity: 'low',
      category: 'Execution',
      detectionSource: 'test',
      firstActivityAt: new Date(h.clock.now()).toISOString(),
      entities: [{ kind: 'device', hostname: 'web01' }],
    });
    const d = await h.api('GET', '/api/devices/web01', h.adminToken);
    expect(d.body).toMatchObject({
      id: res.deviceId,
      deviceGroupId: group.body.id,
      deviceGroupName: 'Servers',
    });
    const audit = await h.api('GET', `/api/audit?subject=${res.deviceId}`, h.adminToken);
    expect(JSON.stringify(audit.body)).toContain('device.enrolled');
  });

  it('without a pinned group places the device by the group rules', async () => {
    const group = await h.api('POST', '/api/device-groups', h.adminToken, {
      name: 'Web',
      rank: 1,
      rule: { namePattern: 'web*' },
      automationLevel: 'full',
    });
    const { token } = await createToken();
    const res = await h.services.enrollment.enroll(enrollRequest(token, 'web07'));
    expect(res.deviceGroupId).toBe(group.body.id);
  });

  it('takes over a device first seen in alerts, keeping its id', async () => {
    await h.api('POST', '/api/alerts', h.adminToken, {
      title: 'x',
      severity: 'low',
      category: 'Execution',
      detectionSource: 'test',
      firstActivityAt: new Date(h.clock.now()).toISOString(),
      entities: [{ kind: 'device', hostname: 'ws01' }],
    });
    const seen = (await h.api('GET', '/api/devices/ws01', h.adminToken)).body;
    expect(seen).toMatchObject({ enrolled: false, health: null });
    const { token } = await createToken();
    const res = await h.services.enrollment.enroll(enrollRequest(token, 'ws01'));
    expect(res.deviceId).toBe(seen.id);
    const after = (await h.api('GET', '/api/devices/ws01', h.adminToken)).body;
    expect(after).toMatchObject({ enrolled: true, health: 'offline', kernel: '6.1.0-18-amd64' });
  });

  it('keeps the keys in the database: a second keyring reads the same certificate and signing key', async () => {
    const a = await h.services.agentKeys.get();
    const { AgentKeyring } = await import('../src/agents/keys/agent-keys.js');
    const b = await new AgentKeyring(h.store, {}, () => h.clock.now()).get();
    expect(b.certSha256).toBe(a.certSha256);
    expect(b.signingPublicKeySpkiB64).toBe(a.signingPublicKeySpkiB64);
    expect(a.tlsCertPem).toContain('BEGIN CERTIFICATE');
  });
});
