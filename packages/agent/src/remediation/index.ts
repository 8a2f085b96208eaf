export { BlockRemediator, remediationActionId } from './block-remediator.js';
export type { BlockRemediatorOptions, HashWinner, RemediationRecord } from './block-remediator.js';
export { PathWatcher } from './path-watcher.js';
export type { PathWatcherOptions } from './path-watcher.js';
export { HashIndicatorEnforcement } from './hash-indicator-enforcement.js';
export type { HashIndicatorEnforcementOptions } from './hash-indicator-enforcement.js';
