export type {
  SyncIndicator,
  IndicatorSnapshot,
  IndicatorDelta,
  IndicatorMatch,
  IndicatorApplyResult,
} from './indicator-sync.types.js';
export { MAX_INDICATOR_ID_LENGTH, MAX_INDICATOR_TITLE_LENGTH } from './indicator-sync.types.js';
export {
  InvalidIndicatorError,
  IndicatorVersionError,
  IndicatorFileError,
  InvalidIocTargetError,
  DnsFilterError,
} from './indicators.errors.js';
export { IndicatorStore, IndicatorSnapshotBuilder } from './indicator-store.js';
export { StoreHashBlocklist } from './hash-blocklist.js';
export type { IndicatorChange, IndicatorCounts, IndicatorStoreOptions } from './indicator-store.js';
export type { TableSizes } from './indicator-tables.js';
export { HASH_TYPES, HASH_BYTE_LENGTH, type HashType } from './indicator-values.js';
export { IP_TIERS, IP_TIER_DROPS, type IpTier } from './ip-index.js';
export type { IpFamily } from './ip-ranges.js';
export { IndicatorPersistence, INDICATOR_FILES } from './indicator-persistence.js';
export type { IndicatorPersistenceOptions } from './indicator-persistence.js';
export {
  readIndicatorFile,
  writeIndicatorFile,
  INDICATOR_FILE_FORMAT,
  INDICATOR_FILE_MAGIC,
} from './indicator-file.js';
export {
  writeSha256Export,
  writeSha256ExportOf,
  readSha256Export,
  exportContains,
  SHA256_EXPORT_FORMAT,
  SHA256_EXPORT_HEADER_BYTES,
  SHA256_EXPORT_MAGIC,
} from './sha256-export.js';
export {
  DEFAULT_IOC_TABLE,
  IOC_SET_NAMES,
  buildIocScript,
  buildIocSkeleton,
  type IocSetName,
  type IocTarget,
  type DnsRedirect,
} from './nft/ioc-ruleset.js';
export {
  NftIocFirewall,
  IOC_READ_DEPTHS,
  type IocFirewall,
  type IocReadback,
  type IocReadDepth,
  type NftIocFirewallOptions,
} from './nft/ioc.firewall.js';
export { IocTargetSource, type IocTargetSourceOptions } from './nft/ioc-target.js';
export {
  IocReconciler,
  IOC_ENFORCEMENT_STATES,
  type IocEnforcementState,
  type IocStatus,
  type IocReconcilerOptions,
} from './nft/ioc-reconciler.js';
export { nftRunner, type NftRunnerOptions } from './nft/nft-runner.js';
export { IndicatorEnforcement, DNS_FILTER_STATES } from './indicator-enforcement.js';
export type {
  DnsFilterState,
  DnsFilterSettings,
  IndicatorEnforcementOptions,
  IndicatorEnforcementStatus,
} from './indicator-enforcement.js';
export { DnsFilter, DNS_BLOCK_MODES } from './dns/dns-filter.js';
export type { DnsBlockMode, DnsFilterOptions, DnsFilterStats, DnsMatchEvent } from './dns/dns-filter.js';
export {
  HelperSocketBroker,
  type SocketBroker,
  type HelperSocketBrokerOptions,
} from './dns/socket-broker.js';
export { discoverUpstreams, parseResolvConf, RESOLV_CONF_PATHS, type DnsUpstream } from './dns/upstreams.js';
