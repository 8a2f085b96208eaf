import type {
  EnrollRequest,
  EnrollResponse,
  EnrollmentToken,
  EnrollmentTokenCreated,
  EnrollmentTokenInput,
} from '@quell/contracts';
import { ConflictError, InputError, NotFoundError, type Principal } from '@quell/core';
import { fromJson, toEnrollmentToken, toJson, type Tx } from '@quell/store';
import { audit, type ServiceContext } from '../../services/context.js';
import type { DeviceGroupService } from '../../services/device-group.service.js';
import type { AgentKeyring } from '../keys/agent-keys.js';
import {
  enrollRefused,
  hashSecret,
  newEnrollmentToken,
  parseAgentPublicKey,
  parseEnrollmentToken,
  tokenRefusal,
} from './enrollment-token.js';

const HOUR_MS = 3_600_000;
const DEFAULT_EXPIRES_HOURS = 24;

/** Options of the enrollment service. */
export interface EnrollmentOptions {
  /** Sent to enrolled agents. Default 15 000 ms (config QUELL_AGENT_HEARTBEAT_MS). */
  heartbeatMs?: number;
  /** The URL agents use, printed with new tokens (config QUELL_AGENT_URL); see {@link EnrollmentService.agentUrl}. */
  agentUrl?: string;
}

/**
 * Agent enrollment: single-use expiring tokens that pin the agent listener's certificate, and
 * the enrollment itself, which records the agent's public key on its device.
 */
export class EnrollmentService {
  /**
   * The agent listener URL handed out with tokens. The gateway sets it once it knows the bound
   * port (a configured port of 0 picks one at start).
   */
  agentUrl: string;
  readonly heartbeatMs: number;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly deviceGroups: DeviceGroupService,
    private readonly keys: AgentKeyring,
    opts: EnrollmentOptions = {},
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.agentUrl = opts.agentUrl ?? 'https://127.0.0.1:8471';
  }

  /** A new token; its string is in the answer only, the database keeps its hash. */
  async createToken(principal: Principal, input: EnrollmentTokenInput): Promise<EnrollmentTokenCreated> {
    const { certSha256 } = await this.keys.get();
    const now = this.ctx.clock.now();
    const id = this.ctx.ids.next('enr');
    const { token, secretHash } = newEnrollmentToken(certSha256);
    const tags = [...new Set(input.tags ?? [])];
    const row = {
      id,
      label: input.label,
      token_hash: secretHash,
      created_by: principal.name,
      created_at: now,
      expires_at: now + (input.expiresInHours ?? DEFAULT_EXPIRES_HOURS) * HOUR_MS,
      used_at: null,
      used_by_device_id: null,
      revoked_at: null,
      device_group_id: input.deviceGroupId ?? null,
      tags: toJson(tags),
    };
    await this.ctx.store.transaction(async (trx) => {
      if (input.deviceGroupId && !(await this.ctx.store.devices.group(trx, input.deviceGroupId))) {
        throw new InputError(
          `No device group ${input.deviceGroupId}; list them with \`quell device-groups list\`.`,
          { deviceGroupId: input.deviceGroupId },
        );
      }
      await this.ctx.store.enrollment.insert(trx, row);
      await audit(this.ctx, trx, principal, 'enrollment_token.created', id, {
        label: input.label,
        expiresAt: new Date(row.expires_at).toISOString(),
        deviceGroupId: row.device_group_id,
        tags,
      });
    });
    return { ...toEnrollmentToken(row, now), token, agentUrl: this.agentUrl, certSha256 };
  }

  /** Newest first. */
  async listTokens(): Promise<EnrollmentToken[]> {
    const now = this.ctx.clock.now();
    return (await this.ctx.store.enrollment.list()).map((r) => toEnrollmentToken(r, now));
  }

  /** Revokes an unused token so nobody can enroll with it. */
  async revokeToken(principal: Principal, id: string): Promise<EnrollmentToken> {
    const now = this.ctx.clock.now();
    const row = await this.ctx.store.transaction(async (trx) => {
      const before = await this.ctx.store.enrollment.get(trx, id);
      if (!before)
        throw new NotFoundError(`No enrollment token ${id}. List them with \`quell tokens enroll list\`.`, {
          id,
        });
      if (!(await this.ctx.store.enrollment.revoke(trx, id, now))) {
        const what = before.used_at !== null ? 'was already used' : 'is already revoked';
        throw new ConflictError(`Enrollment token ${id} ${what}.`, { id });
      }
      await audit(this.ctx, trx, principal, 'enrollment_token.revoked', id, { label: before.label });
      return (await this.ctx.store.enrollment.get(trx, id)) ?? before;
    });
    return toEnrollmentToken(row, now);
  }

  /**
   * Enrolls an agent: the token must be unused, unrevoked, unexpired and pin the current
   * certificate. The token is claimed with one conditional update, so of several enrollments
   * racing on one token exactly one succeeds; a refusal writes nothing.
   */
  async enroll(req: EnrollRequest, now: number = this.ctx.clock.now()): Promise<EnrollResponse> {
    const parsed = parseEnrollmentToken(req.token);
    const { spkiB64 } = parseAgentPublicKey(req.publicKey);
    const keys = await this.keys.get();
    const hostname = req.inventory.hostname.toLowerCase();
    return this.ctx.store.transaction(async (trx) => {
      const token = await this.ctx.store.enrollment.byHash(trx, hashSecret(parsed.secret));
      const refusal = tokenRefusal(token, now);
      if (refusal || !token) throw enrollRefused(refusal ?? 'token_unknown', { hostname });
      if (parsed.certSha256 !== keys.certSha256)
        throw enrollRefused('certificate_mismatch', { hostname, tokenId: token.id });
      const existing = await this.ctx.store.devices.deviceByHostname(trx, hostname);
      const deviceId = existing?.id ?? this.ctx.ids.next('dev');
      if (!(await this.ctx.store.enrollment.claim(trx, token.id, deviceId, now)))
        throw enrollRefused('token_used', { hostname, tokenId: token.id });
      const tags = [
        ...new Set([...fromJson<string[]>(existing?.tags, []), ...fromJson<string[]>(token.tags, [])]),
      ];
      const groupId = await this.groupFor(trx, token.device_group_id, hostname, req.inventory.os, tags);
      const inv = req.inventory;
      const device = await this.ctx.store.agents.enroll(
        trx,
        {
          id: deviceId,
          hostname,
          public_key: spkiB64,
          tags: toJson(tags),
          device_group_id: groupId.id,
          pinned_group_id: groupId.pinned ? groupId.id : null,
          enrolled_at: now,
          os: inv.os || null,
          os_version: inv.osVersion || null,
          kernel: inv.kernel || null,
          agent_version: inv.agentVersion || null,
          machine_id: inv.machineId ?? null,
          addresses: toJson(inv.addresses),
          capabilities: toJson(inv.capabilities),
        },
        now,
      );
      await audit(this.ctx, trx, `agent:${hostname}`, 'device.enrolled', device.id, {
        hostname,
        tokenId: token.id,
        tokenLabel: token.label,
        deviceGroupId: groupId.id,
        tags,
        reenrolled: existing?.public_key != null,
        agentVersion: inv.agentVersion,
      });
      return {
        deviceId: device.id,
        serverPublicKey: keys.signingPublicKeySpkiB64,
        heartbeatMs: this.heartbeatMs,
        deviceGroupId: groupId.id,
        tags,
      };
    });
  }

  /** The token's group while it exists (pinned); else the group rules, as for devices from alerts. */
  private async groupFor(
    trx: Tx,
    pinned: string | null,
    hostname: string,
    os: string,
    tags: string[],
  ): Promise<{ id: string; pinned: boolean }> {
    if (pinned && (await this.ctx.store.devices.group(trx, pinned))) return { id: pinned, pinned: true };
    const g = await this.deviceGroups.groupFor(trx, { hostname, ...(os && { os }), tags });
    return { id: g.id, pinned: false };
  }
}
