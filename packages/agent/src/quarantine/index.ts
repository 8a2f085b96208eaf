export { FileQuarantine } from './file-quarantine.js';
export { COPY_UPLOAD_STATUSES, QuarantineCopyUploader } from './copy-upload.js';
export type { CopyUpload, CopyUploadStatus, QuarantineCopyUploaderOptions } from './copy-upload.js';
export type { FileQuarantineOptions } from './quarantine-deps.js';
export { StopAndQuarantineFileHandler, RestoreQuarantinedFileHandler } from './quarantine.handlers.js';
export {
  QUARANTINE_ERROR_CODES,
  REFUSAL_REASONS,
  QuarantineError,
  QuarantineRefusedError,
  QuarantineConflictError,
  QuarantineNotFoundError,
  QuarantineProcessError,
  QuarantineVaultError,
} from './quarantine.errors.js';
export type { QuarantineErrorCode, Refusal, RefusalReason, RestoreConflict } from './quarantine.errors.js';
export { PERSISTENCE_KINDS, SKIP_REASONS, RESTORE_HOWS } from './quarantine.types.js';
export type {
  KilledProcess,
  PersistenceItem,
  PersistenceKind,
  QuarantineOutcome,
  QuarantineRequest,
  QuarantinedFile,
  RestoreHow,
  RestoreOutcome,
  RestoreRequest,
  SkipReason,
  SkippedPath,
  VaultEntrySummary,
} from './quarantine.types.js';
export { STOP_SIGNALS, SERVICE_OPS } from './quarantine.ports.js';
export type {
  FileAttributes,
  ProcessSnapshot,
  ProcessTable,
  ServiceCall,
  ServiceManager,
  ServiceOp,
  StopSignal,
  UnitRef,
  Xattr,
} from './quarantine.ports.js';
export { ProcProcessTable } from './proc.process-table.js';
export { SystemctlServiceManager } from './systemctl.service-manager.js';
export type { SystemctlServiceManagerOptions } from './systemctl.service-manager.js';
export { AttrCommandFileAttributes } from './attr.file-attributes.js';
