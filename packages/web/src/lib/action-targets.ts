import type { ActionTarget, EntityView, Incident } from '@quell/contracts';
import type { TargetKind } from '@quell/core';

/** Something in an incident that catalog actions can be aimed at. */
export interface TargetOption {
  key: string;
  targetKind: TargetKind;
  target: ActionTarget;
  /** What the analyst recognises: "device fs01", "file lockbit.elf". */
  title: string;
  /** Parameters the entity already answers (a file's hash and path, an indicator's value). */
  defaults: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function fromEntity(e: EntityView, firstDevice: string | undefined): TargetOption[] {
  const ev = e.evidence;
  switch (e.kind) {
    case 'device': {
      const host = str(ev.hostname) ?? e.label;
      return [
        {
          key: e.key,
          targetKind: 'device',
          target: { kind: 'device', id: host, label: e.label },
          title: `Device ${e.label}`,
          defaults: {},
        },
      ];
    }
    case 'file': {
      const sha = str(ev.sha256);
      // Without a SHA-256 a file cannot be acted on: the agent finds files by hash.
      if (!sha) return [];
      const target: ActionTarget = {
        kind: 'file',
        id: sha,
        label: e.label,
        ...(firstDevice ? { deviceHostname: firstDevice } : {}),
      };
      const path = str(ev.path);
      return [
        {
          key: e.key,
          targetKind: 'file',
          target,
          title: `File ${e.label}`,
          defaults: { sha256: sha, ...(path ? { path } : {}) },
        },
        indicator(`${e.key}#ioc`, 'sha256', sha, `File hash ${e.label}`),
      ];
    }
    case 'process': {
      const sha = str(ev.sha256);
      return sha ? [indicator(`${e.key}#ioc`, 'sha256', sha, `Process hash ${e.label}`)] : [];
    }
    case 'user': {
      const name = str(ev.username) ?? e.label;
      return [
        {
          key: e.key,
          targetKind: 'identity',
          target: { kind: 'identity', id: name, label: e.label },
          title: `User ${e.label}`,
          defaults: {},
        },
      ];
    }
    case 'mailbox': {
      const address = str(ev.address) ?? e.label;
      return [
        {
          key: e.key,
          targetKind: 'mailbox',
          target: { kind: 'mailbox', id: address, label: e.label },
          title: `Mailbox ${e.label}`,
          defaults: {},
        },
      ];
    }
    case 'ip':
      return [indicator(e.key, 'ip', str(ev.address) ?? e.label, `IP ${e.label}`)];
    case 'domain':
      return [indicator(e.key, 'domain', str(ev.name) ?? e.label, `Domain ${e.label}`)];
    case 'url':
      return [indicator(e.key, 'url', str(ev.url) ?? e.label, `URL ${e.label}`)];
    default:
      return [];
  }
}

function indicator(key: string, kind: string, value: string, title: string): TargetOption {
  // add_indicator's `type` names the address family (ipv4 / ipv6), not just "ip".
  const type = kind === 'ip' ? (value.includes(':') ? 'ipv6' : 'ipv4') : kind;
  return {
    key,
    targetKind: 'indicator',
    target: { kind: 'indicator', id: value, label: title },
    title: `Indicator: ${title}`,
    defaults: { type, value, action: 'block' },
  };
}

/** Every action target the incident's entities offer, devices first. */
export function targetsOf(incident: Incident): TargetOption[] {
  const firstDevice = incident.entities.find((e) => e.kind === 'device');
  const host = firstDevice ? (str(firstDevice.evidence.hostname) ?? firstDevice.label) : undefined;
  const order: Record<string, number> = { device: 0, file: 1, identity: 2, mailbox: 3, indicator: 4 };
  return incident.entities
    .flatMap((e) => fromEntity(e, host))
    .sort((a, b) => (order[a.targetKind] ?? 9) - (order[b.targetKind] ?? 9));
}

/** Devices named in the incident: where a file action may run. */
export function deviceHostsOf(incident: Incident): string[] {
  return incident.entities.filter((e) => e.kind === 'device').map((e) => str(e.evidence.hostname) ?? e.label);
}
