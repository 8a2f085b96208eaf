export { FileScanner, type FileScannerOptions } from './file-scanner.js';
export { SCAN_ENGINES, CLAMAV_SEVERITY, MAX_DETECTIONS, type ScanEngine } from './scan-run.js';
export { ScanAbortedError, YaraRulesError } from './scan.errors.js';
export { ClamdClient, parseVerdict, type ClamdStream, type ClamdVerdict } from './clamd.client.js';
export { CpuGovernor, systemCpuClock, type CpuClock } from './cpu-governor.js';
export {
  PSEUDO_FS_TYPES,
  parseMountInfo,
  pseudoMountPoints,
  type MountEntry,
  type PseudoFsType,
} from './mounts.js';
export {
  EICAR_NAME,
  EICAR_SEVERITY,
  BUILTIN_HASH_SIGNATURES,
  isEicar,
  type HashSignature,
} from './signatures.js';
export { QUICK_LOCATIONS, type ScanTarget } from './targets.js';
export { YARA_DEFAULT_SEVERITY } from './yara.engine.js';
