import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  Action,
  ActionBatchRequest,
  ActionRequest,
  DeviceListQuery,
  EnrollmentTokenInput,
} from '@quell/contracts';
import { PENDING_STATUSES, isTerminal } from '@quell/core';
import { actionKeys } from './actions';
import { call } from './client';

export const deviceKeys = {
  // Shares the `devices` prefix with adminKeys.devices, so either invalidation refreshes both.
  all: ['devices'] as const,
  list: (q: DeviceListQuery) => ['devices', 'list', q] as const,
  one: (id: string) => ['devices', 'one', id] as const,
  actions: (ids: readonly string[]) => ['devices', 'actions', ...ids] as const,
  enrollment: ['enrollment-tokens'] as const,
};

/** While anything is running, the page follows it closely; otherwise a slow refresh for health. */
export const LIVE_MS = 2000;
const IDLE_MS = 15_000;

export function useDeviceList(q: DeviceListQuery) {
  return useQuery({
    queryKey: deviceKeys.list(q),
    queryFn: () => call('listDevices', { query: q }),
    refetchInterval: IDLE_MS,
  });
}

export function useDevice(id: string, live: boolean) {
  return useQuery({
    queryKey: deviceKeys.one(id),
    queryFn: () => call('getDevice', { params: { id } }),
    refetchInterval: (query) => {
      const d = query.state.data;
      const applying = d?.isolation.state === 'applying' || d?.restriction.state === 'applying';
      return live || applying ? LIVE_MS : IDLE_MS;
    },
  });
}

/**
 * The actions aimed at a device, newest first. The Action Center filters on the exact target id
 * and a request may name the device by hostname or by id, so both are fetched and merged.
 * Refetches every {@link LIVE_MS} while any of them has not finished.
 */
export function useDeviceActions(ids: readonly string[]) {
  const unique = [...new Set(ids)];
  return useQuery({
    queryKey: deviceKeys.actions(unique),
    enabled: unique.length > 0,
    queryFn: async (): Promise<Action[]> => {
      const pages = await Promise.all(
        unique.map((entity) =>
          call('listActions', { query: { entity, view: 'all', period: '6m', limit: 100 } }),
        ),
      );
      const byId = new Map<string, Action>();
      for (const p of pages) for (const a of p.items) byId.set(a.id, a);
      return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
    refetchInterval: (query) =>
      (query.state.data ?? []).some((a) => !isTerminal(a.status)) ? LIVE_MS : IDLE_MS,
  });
}

/** Requests a device action; the device, its actions and the Action Center all refresh. */
export function useRequestDeviceAction() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: ActionRequest) => call('requestAction', { body }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: deviceKeys.all });
      void qc.invalidateQueries({ queryKey: actionKeys.all });
    },
  });
}

/** Requests one action for many devices (a batch); devices and the Action Center refresh. */
export function useRequestActionBatch() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: ActionBatchRequest) => call('requestActionBatch', { body }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: deviceKeys.all });
      void qc.invalidateQueries({ queryKey: actionKeys.all });
    },
  });
}

/** A batch's per-status counts, followed closely while any of its actions is pending. */
export function useActionBatch(id: string) {
  return useQuery({
    queryKey: ['action-batches', id] as const,
    queryFn: () => call('getActionBatch', { params: { id } }),
    refetchInterval: (query) => {
      const b = query.state.data;
      return b && PENDING_STATUSES.every((s) => b.counts[s] === 0) ? false : LIVE_MS / 2;
    },
  });
}

export function useCreateEnrollmentToken() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: EnrollmentTokenInput) => call('createEnrollmentToken', { body }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: deviceKeys.enrollment }),
  });
}

/** Where the browser downloads an action's investigation package (the session cookie authorises it). */
export function packageUrl(actionId: string): string {
  return `/api/actions/${encodeURIComponent(actionId)}/package`;
}
