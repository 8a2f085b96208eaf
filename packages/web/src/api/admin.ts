import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  ApiTokenInput,
  DeviceGroupInput,
  DeviceGroupPatch,
  DeviceGroupPreviewInput,
  SettingsPatch,
  UserInput,
  UserPatch,
} from '@quell/contracts';
import { call } from './client';

export const adminKeys = {
  groups: ['device-groups'] as const,
  devices: ['devices'] as const,
  users: ['users'] as const,
  tokens: ['tokens'] as const,
  settings: ['settings'] as const,
};

export const useDeviceGroups = () =>
  useQuery({ queryKey: adminKeys.groups, queryFn: () => call('listDeviceGroups') });
export const useDevices = () =>
  useQuery({ queryKey: adminKeys.devices, queryFn: () => call('listDevices', { query: {} }) });

function useGroupsInvalidation() {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: adminKeys.groups });
    void qc.invalidateQueries({ queryKey: adminKeys.devices });
  };
}
export function useSaveDeviceGroup() {
  const done = useGroupsInvalidation();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (v: { id: string; patch: DeviceGroupPatch } | { id: null; input: DeviceGroupInput }) =>
      v.id === null
        ? call('createDeviceGroup', { body: v.input })
        : call('patchDeviceGroup', { params: { id: v.id }, body: v.patch }),
    onSuccess: done,
  });
}
export function useDeleteDeviceGroup() {
  const done = useGroupsInvalidation();
  return useMutation({
    mutationFn: (id: string) => call('deleteDeviceGroup', { params: { id } }),
    onSuccess: done,
  });
}
export function usePreviewDeviceGroup() {
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: DeviceGroupPreviewInput) => call('previewDeviceGroup', { body }),
  });
}

export const useUsers = (enabled: boolean) =>
  useQuery({ queryKey: adminKeys.users, queryFn: () => call('listUsers'), enabled });
export const useTokens = (enabled: boolean) =>
  useQuery({ queryKey: adminKeys.tokens, queryFn: () => call('listTokens'), enabled });

export function useCreateUser() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: UserInput) => call('createUser', { body }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: adminKeys.users }),
  });
}
export function usePatchUser() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: ({ id, patch }: { id: string; patch: UserPatch }) =>
      call('patchUser', { params: { id }, body: patch }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: adminKeys.users }),
  });
}
export function useCreateToken() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: ApiTokenInput) => call('createToken', { body }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: adminKeys.tokens }),
  });
}
export function useRevokeToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call('revokeToken', { params: { id } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: adminKeys.tokens }),
  });
}

export const useSettings = () =>
  useQuery({ queryKey: adminKeys.settings, queryFn: () => call('getSettings') });
export function usePatchSettings() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: SettingsPatch) => call('patchSettings', { body }),
    onSuccess: (s) => qc.setQueryData(adminKeys.settings, s),
  });
}
