import type { LimitHit } from './report.schema.js';
import type { LimitKind } from './sandbox.vocab.js';
import type { SampleScope } from './sample-scope.js';
import type { TraceEvent } from './trace-events.js';

/** The rlimit a trace event shows being hit, if any. */
function limitOf(e: TraceEvent): LimitKind | null {
  if ((e.type === 'signal' || e.type === 'killed') && e.signal === 'SIGXCPU') return 'cpu_seconds';
  if ((e.type === 'signal' || e.type === 'killed') && e.signal === 'SIGXFSZ') return 'file_size';
  if (e.type === 'spawn' && e.errno === 'EAGAIN') return 'processes';
  if (e.type === 'alloc_failed' || ((e.type === 'spawn' || e.type === 'exec') && e.errno === 'ENOMEM'))
    return 'address_space';
  if (e.errno === 'EMFILE') return 'open_files';
  return null;
}

/**
 * The kernel-enforced limits the sample ran into, once each, with the first occurrence as the
 * detail. The runner adds its own (timeout, workspace, trace, dropped files). Pure.
 */
export function limitsHitInTrace(scope: SampleScope): LimitHit[] {
  const hits = new Map<LimitKind, LimitHit>();
  for (const e of scope.events) {
    const limit = limitOf(e);
    if (limit && !hits.has(limit)) hits.set(limit, { limit, detail: `pid ${e.pid}: ${e.raw}` });
  }
  return [...hits.values()];
}
