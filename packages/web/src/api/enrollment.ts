import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { RevokeDeviceInput } from '@quell/contracts';
import { call } from './client';
import { deviceKeys } from './devices';

/** Enrollment tokens, newest first (admins: `devices:manage`). */
export function useEnrollmentTokens() {
  return useQuery({
    queryKey: deviceKeys.enrollment,
    queryFn: () => call('listEnrollmentTokens'),
    refetchInterval: 15_000,
  });
}

export function useRevokeEnrollmentToken() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (id: string) => call('revokeEnrollmentToken', { params: { id } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: deviceKeys.enrollment }),
  });
}

/** Revokes a device's agent: its connection closes and is refused from then on. */
export function useRevokeDevice(id: string) {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: RevokeDeviceInput) => call('revokeDevice', { params: { id }, body }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: deviceKeys.all }),
  });
}
