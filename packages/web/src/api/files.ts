import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  FileCollectInput,
  FileDownloadInput,
  FileListQuery,
  FileQuarantineInput,
  FileRestoreInput,
} from '@quell/contracts';
import type { OperationId } from '@quell/contracts';
import { isTerminal } from '@quell/core';
import { actionKeys } from './actions';
import { call, client } from './client';
import { LIVE_MS } from './devices';

export const fileKeys = {
  all: ['files'] as const,
  list: (q: FileListQuery) => ['files', 'list', q] as const,
  one: (id: string) => ['files', 'one', id] as const,
  onDevice: (device: string) => ['files', 'device', device] as const,
};

// As in client.ts: the raw call's per-operation input type is too deep to check here.
const rawCall = client.raw as unknown as (op: OperationId, input: unknown) => Promise<Response>;

const IDLE_MS = 15_000;
/** Quarantine states that will change on their own; the page follows them closely. */
const MOVING = new Set(['quarantining', 'restoring']);

export function useFileList(q: FileListQuery) {
  return useQuery({
    queryKey: fileKeys.list(q),
    queryFn: () => call('listFiles', { query: q }),
  });
}

/** The file page; refetched every {@link LIVE_MS} while a quarantine, restore or collect is under way. */
export function useFile(id: string) {
  return useQuery({
    queryKey: fileKeys.one(id),
    queryFn: () => call('getFile', { params: { id } }),
    refetchInterval: (query) => {
      const d = query.state.data;
      const moving =
        (d?.quarantine ?? []).some((q) => MOVING.has(q.state)) ||
        (d?.actions ?? []).some((a) => !isTerminal(a.status));
      return moving ? LIVE_MS : IDLE_MS;
    },
  });
}

/** Files in one device's quarantine vault; followed closely while one is being quarantined or restored. */
export function useDeviceQuarantine(device: string) {
  return useQuery({
    queryKey: fileKeys.onDevice(device),
    queryFn: () => call('listDeviceQuarantine', { params: { id: device }, query: {} }),
    refetchInterval: (query) =>
      (query.state.data?.items ?? []).some((f) => MOVING.has(f.state)) ? LIVE_MS : IDLE_MS,
  });
}

/** Restores one file on one device (undoes its quarantine there). */
export function useRestoreOnDevice() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: ({ sha256, device }: { sha256: string; device: string }) =>
      call('restoreFile', { params: { id: sha256 }, body: { devices: [device] } }),
    onSuccess,
  });
}

/** Invalidates what a file action changes: the file, its list and the Action Center. */
function useRefresh() {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: fileKeys.all });
    void qc.invalidateQueries({ queryKey: actionKeys.all });
  };
}

export function useQuarantineFile(id: string) {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: FileQuarantineInput) => call('quarantineFile', { params: { id }, body }),
    onSuccess,
  });
}

export function useRestoreFile(id: string) {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: FileRestoreInput) => call('restoreFile', { params: { id }, body }),
    onSuccess,
  });
}

export function useCollectFile(id: string) {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: FileCollectInput) => call('collectFile', { params: { id }, body }),
    onSuccess,
  });
}

/**
 * Fetches the password-protected zip and hands it to the browser as a download. A POST (the
 * password and reason must not sit in a URL or the server's access log), so a plain link will not do.
 */
export function useDownloadFile(id: string) {
  return useMutation({
    meta: { quiet: true },
    mutationFn: async (body: FileDownloadInput) => {
      const res = await rawCall('downloadFile', { params: { id }, body });
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${id}.zip`;
      document.body.append(a);
      a.click();
      a.remove();
      // Revoked later: some browsers read the object URL after click() returns.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  });
}
