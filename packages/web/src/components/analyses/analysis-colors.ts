import type { AnalysisStatus, AnalysisVerdict } from '@quell/contracts';

export const VERDICT_COLOR: Record<AnalysisVerdict, string> = {
  malicious: 'red',
  suspicious: 'orange',
  clean: 'teal',
};

export const STATUS_COLOR: Record<AnalysisStatus, string> = {
  queued: 'gray',
  running: 'blue',
  completed: 'teal',
  timed_out: 'orange',
  failed: 'red',
  cancelled: 'gray',
};
