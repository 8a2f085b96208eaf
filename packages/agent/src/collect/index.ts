export { InvestigationCollector } from './investigation.collector.js';
export type { InvestigationCollectorOptions, InvestigationReport } from './investigation.collector.js';
export { INVESTIGATION_CATALOG } from './catalog.js';
export type { CatalogItemId } from './catalog.js';
export { COLLECT_CATEGORIES, READER_NAMES, ITEM_KINDS } from './catalog.types.js';
export type {
  CollectCategory,
  ReaderName,
  ItemKind,
  CatalogItem,
  FilesItem,
  CommandItem,
  ReaderItem,
  ListingItem,
} from './catalog.types.js';
export { ITEM_STATUSES } from './summary.js';
export type { SummaryEntry, PackageSummary, CollectionLimits } from './summary.js';
export {
  COLLECT_ERROR_CODES,
  CollectError,
  SourceMissingError,
  CommandFailedError,
  CommandTimeoutError,
  CollectionAbortedError,
} from './errors.js';
export type { CollectErrorCode } from './errors.js';
