import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ActionListQuery, ActionRequest, CatalogEntry } from '@quell/contracts';
import { call } from './client';
import { incidentKeys } from './incidents';

export const actionKeys = {
  all: ['actions'] as const,
  list: (q: ActionListQuery) => ['actions', 'list', q] as const,
  one: (id: string) => ['actions', 'one', id] as const,
  catalog: ['catalog'] as const,
};

/** The action catalog rarely changes while the console is open. */
export function useCatalog() {
  return useQuery({
    queryKey: actionKeys.catalog,
    queryFn: () => call('actionCatalog'),
    staleTime: 5 * 60_000,
  });
}
export function catalogById(items: readonly CatalogEntry[] | undefined): Map<string, CatalogEntry> {
  return new Map((items ?? []).map((c) => [c.id, c]));
}

export function useActionList(q: ActionListQuery, opts: { refetchInterval?: number } = {}) {
  return useInfiniteQuery({
    queryKey: actionKeys.list(q),
    queryFn: ({ pageParam }) =>
      call('listActions', { query: { ...q, ...(pageParam ? { cursor: pageParam } : {}) } }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    ...opts,
  });
}

export function useAction(id: string) {
  return useQuery({
    queryKey: actionKeys.one(id),
    queryFn: () => call('getAction', { params: { id } }),
    refetchInterval: 5000,
  });
}

/**
 * After requesting, deciding or undoing actions: what they change is shown on the Action Center,
 * incident, file and device pages, so those are read again rather than served from the cache
 * (the console keeps answers 10 s; a file page opened right after an undo showed the state from
 * before it until its next idle refresh). Files and devices by their keys' literal roots:
 * `files.ts` and `devices.ts` import this module.
 */
function useInvalidateActions() {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: actionKeys.all });
    void qc.invalidateQueries({ queryKey: incidentKeys.all });
    void qc.invalidateQueries({ queryKey: ['files'] });
    void qc.invalidateQueries({ queryKey: ['devices'] });
  };
}

export function useRequestAction() {
  const done = useInvalidateActions();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: ActionRequest) => call('requestAction', { body }),
    onSuccess: done,
  });
}

export type Decision = 'approve' | 'reject' | 'cancel' | 'undo';
const DECISION_OP = {
  approve: 'approveAction',
  reject: 'rejectAction',
  cancel: 'cancelAction',
  undo: 'undoAction',
} as const;
const BULK_OP = { approve: 'bulkApprove', reject: 'bulkReject', undo: 'bulkUndo' } as const;

/** Approve, reject (comment required), cancel or undo one action. */
export function useDecide() {
  const done = useInvalidateActions();
  return useMutation({
    meta: { quiet: true },
    mutationFn: ({ id, decision, comment }: { id: string; decision: Decision; comment?: string }) => {
      if (decision === 'reject') {
        if (!comment) throw new Error('Rejecting needs a comment saying why.');
        return call('rejectAction', { params: { id }, body: { comment } });
      }
      return call(DECISION_OP[decision], { params: { id }, body: comment ? { comment } : {} });
    },
    onSuccess: done,
  });
}

/** Bulk decisions; the API refuses a selection that mixes action types, and says so. */
export function useBulkDecide() {
  const done = useInvalidateActions();
  return useMutation({
    meta: { quiet: true },
    mutationFn: ({
      ids,
      decision,
      comment,
    }: {
      ids: string[];
      decision: keyof typeof BULK_OP;
      comment?: string;
    }) => call(BULK_OP[decision], { body: { ids, ...(comment ? { comment } : {}) } }),
    onSuccess: done,
  });
}
