import type { ActionType } from '@quell/core';

/** The actions the device page offers, in menu order. */
export const DEVICE_ACTIONS = [
  'isolate_device',
  'release_device',
  'restrict_app_execution',
  'remove_app_restriction',
  'run_av_scan',
  'collect_investigation_package',
] as const satisfies readonly ActionType[];
export type DeviceActionType = (typeof DEVICE_ACTIONS)[number];

/** Short names: the menu items' and confirm buttons' test ids (`action-isolate`, `isolate-confirm`). */
export const ACTION_SLUG: Record<DeviceActionType, string> = {
  isolate_device: 'isolate',
  release_device: 'release',
  restrict_app_execution: 'restrict',
  remove_app_restriction: 'unrestrict',
  run_av_scan: 'scan',
  collect_investigation_package: 'collect',
};

export const ACTION_LABEL: Record<DeviceActionType, string> = {
  isolate_device: 'Isolate…',
  release_device: 'Release from isolation',
  restrict_app_execution: 'Restrict app execution',
  remove_app_restriction: 'Remove app restriction',
  run_av_scan: 'Run antivirus scan',
  collect_investigation_package: 'Collect investigation package',
};

/** What the confirmation says will happen, in the responder's terms. */
export const ACTION_CONSEQUENCE: Record<DeviceActionType, string> = {
  isolate_device:
    'The device loses network access except its channel to Quell and what you allow below. The agent re-asserts it after restarts and tampering.',
  release_device: 'Normal network access is restored.',
  restrict_app_execution:
    'Only binaries Quell trusts may start; anything else is refused when it is executed. Running processes are not stopped.',
  remove_app_restriction: 'Any binary may start again.',
  run_av_scan: 'The agent scans with YARA and ClamAV; detections become alerts. Progress shows here.',
  collect_investigation_package:
    'The agent gathers processes, connections, persistence, logs and users into a zip you can download here.',
};
