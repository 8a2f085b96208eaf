import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Incident, IncidentListQuery, IncidentPatch } from '@quell/contracts';
import { call, isConflict } from './client';
import { notify } from '../lib/notify';

export const incidentKeys = {
  all: ['incidents'] as const,
  list: (q: IncidentListQuery) => ['incidents', 'list', q] as const,
  one: (id: string) => ['incidents', 'one', id] as const,
  activity: (id: string) => ['incidents', 'activity', id] as const,
  graph: (id: string) => ['incidents', 'graph', id] as const,
};

/** The queue, a page at a time (cursor paging). */
export function useIncidentList(q: IncidentListQuery) {
  return useInfiniteQuery({
    queryKey: incidentKeys.list(q),
    queryFn: ({ pageParam }) =>
      call('listIncidents', { query: { ...q, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

export function useIncident(id: string) {
  return useQuery({ queryKey: incidentKeys.one(id), queryFn: () => call('getIncident', { params: { id } }) });
}
export function useIncidentActivity(id: string) {
  return useQuery({
    queryKey: incidentKeys.activity(id),
    queryFn: () => call('incidentActivity', { params: { id } }),
  });
}
export function useIncidentGraph(id: string) {
  return useQuery({
    queryKey: incidentKeys.graph(id),
    queryFn: () => call('incidentGraph', { params: { id } }),
  });
}

/**
 * Edits the incident at the version the analyst saw. A 409 means someone else changed it first:
 * say so and reload, rather than overwrite their change.
 */
export function usePatchIncident(incident: Incident) {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (patch: Omit<IncidentPatch, 'version'>) =>
      call('patchIncident', { params: { id: incident.id }, body: { ...patch, version: incident.version } }),
    onSuccess: (updated) => {
      qc.setQueryData(incidentKeys.one(incident.id), updated);
      void qc.invalidateQueries({ queryKey: incidentKeys.all });
    },
    onError: (e) => {
      if (isConflict(e)) {
        notify.error(e, 'The incident changed meanwhile; reloaded it, please try again');
        void qc.invalidateQueries({ queryKey: incidentKeys.all });
      } else {
        notify.error(e, 'Could not update the incident');
      }
    },
  });
}

export function useComment(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (text: string) => call('commentIncident', { params: { id }, body: { text } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: incidentKeys.activity(id) }),
  });
}

export function useMerge(id: string) {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (sourceIds: string[]) => call('mergeIncidents', { params: { id }, body: { sourceIds } }),
    onSuccess: (updated) => {
      qc.setQueryData(incidentKeys.one(id), updated);
      void qc.invalidateQueries({ queryKey: incidentKeys.all });
    },
  });
}
