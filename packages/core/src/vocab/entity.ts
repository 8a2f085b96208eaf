/** Kinds of evidence an alert can carry. */
export const ENTITY_KINDS = ['device', 'file', 'process', 'user', 'mailbox', 'ip', 'url', 'domain'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** Evidence fields per kind; every field is optional except the one that identifies it (see `entityKey`). */
export interface DeviceEntity {
  kind: 'device';
  hostname: string;
  deviceId?: string;
  os?: string;
  ip?: string;
  tags?: string[];
}
export interface FileEntity {
  kind: 'file';
  name?: string;
  path?: string;
  sha256?: string;
  sha1?: string;
  md5?: string;
  size?: number;
}
export interface ProcessEntity {
  kind: 'process';
  pid?: number;
  name?: string;
  commandLine?: string;
  sha256?: string;
  deviceHostname?: string;
}
export interface UserEntity {
  kind: 'user';
  username: string;
  domain?: string;
  sid?: string;
  email?: string;
}
export interface MailboxEntity {
  kind: 'mailbox';
  address: string;
  displayName?: string;
}
export interface IpEntity {
  kind: 'ip';
  address: string;
}
export interface UrlEntity {
  kind: 'url';
  url: string;
}
export interface DomainEntity {
  kind: 'domain';
  name: string;
}
export type Entity =
  | DeviceEntity
  | FileEntity
  | ProcessEntity
  | UserEntity
  | MailboxEntity
  | IpEntity
  | UrlEntity
  | DomainEntity;

/**
 * A stable key that identifies one real-world entity, used for correlation and the attack story.
 * Files are keyed by the strongest hash present, then by path; processes by hash, then name+device.
 */
export function entityKey(e: Entity): string {
  switch (e.kind) {
    case 'device':
      return `device:${(e.deviceId ?? e.hostname).toLowerCase()}`;
    case 'file':
      if (e.sha256) return `file:sha256:${e.sha256.toLowerCase()}`;
      if (e.sha1) return `file:sha1:${e.sha1.toLowerCase()}`;
      if (e.md5) return `file:md5:${e.md5.toLowerCase()}`;
      return `file:path:${e.path ?? e.name ?? ''}`;
    case 'process':
      if (e.sha256) return `process:sha256:${e.sha256.toLowerCase()}`;
      return `process:${(e.deviceHostname ?? '').toLowerCase()}:${e.name ?? ''}:${e.pid ?? ''}`;
    case 'user':
      return `user:${e.sid ?? `${(e.domain ?? '').toLowerCase()}\\${e.username.toLowerCase()}`}`;
    case 'mailbox':
      return `mailbox:${e.address.toLowerCase()}`;
    case 'ip':
      return `ip:${e.address.toLowerCase()}`;
    case 'url':
      return `url:${e.url}`;
    case 'domain':
      return `domain:${e.name.toLowerCase()}`;
  }
}

/** A short human label for an entity. */
export function entityLabel(e: Entity): string {
  switch (e.kind) {
    case 'device':
      return e.hostname;
    case 'file':
      return e.name ?? e.path ?? e.sha256 ?? e.sha1 ?? e.md5 ?? 'file';
    case 'process':
      return e.name ?? `pid ${e.pid ?? '?'}`;
    case 'user':
      return e.domain ? `${e.domain}\\${e.username}` : e.username;
    case 'mailbox':
      return e.address;
    case 'ip':
      return e.address;
    case 'url':
      return e.url;
    case 'domain':
      return e.name;
  }
}
