import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  IndicatorCreate,
  IndicatorExportQuery,
  IndicatorImport,
  IndicatorListQuery,
  IndicatorPatch,
  OperationId,
  TaxiiFeedInput,
  TaxiiFeedPatch,
} from '@quell/contracts';
import { actionKeys } from './actions';
import { call, client } from './client';

export const indicatorKeys = {
  all: ['indicators'] as const,
  list: (q: IndicatorListQuery) => ['indicators', 'list', q] as const,
  feeds: ['indicators', 'feeds'] as const,
};

// As in client.ts: the raw call's per-operation input type is too deep to check here.
const rawCall = client.raw as unknown as (op: OperationId, input: unknown) => Promise<Response>;

export function useIndicatorList(q: IndicatorListQuery) {
  return useQuery({
    queryKey: indicatorKeys.list(q),
    queryFn: () => call('listIndicators', { query: q }),
    refetchInterval: 30_000,
  });
}

/** Writes go through the action pipeline (add/remove_indicator), so the Action Center refreshes too. */
function useRefresh() {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: indicatorKeys.all });
    void qc.invalidateQueries({ queryKey: actionKeys.all });
  };
}

export function useCreateIndicator() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: IndicatorCreate) => call('createIndicator', { body }),
    onSuccess,
  });
}

export function useRemoveIndicator() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (id: string) => call('deleteIndicator', { params: { id }, query: {} }),
    onSuccess,
  });
}

/** Changes an indicator (audited); a new scope answers it under a new id. */
export function usePatchIndicator() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: ({ id, patch }: { id: string; patch: IndicatorPatch }) =>
      call('patchIndicator', { params: { id }, body: patch }),
    onSuccess,
  });
}

/** TAXII 2.1 feeds with the outcome of their last pull. */
export function useTaxiiFeeds() {
  return useQuery({
    queryKey: indicatorKeys.feeds,
    queryFn: () => call('listTaxiiFeeds'),
    refetchInterval: 30_000,
  });
}

export function useCreateTaxiiFeed() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: TaxiiFeedInput) => call('createTaxiiFeed', { body }),
    onSuccess,
  });
}

/** Changes a feed's settings; only the fields in the patch change (audited). */
export function usePatchTaxiiFeed() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: ({ id, patch }: { id: string; patch: TaxiiFeedPatch }) =>
      call('patchTaxiiFeed', { params: { id }, body: patch }),
    onSuccess,
  });
}

export function useDeleteTaxiiFeed() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (id: string) => call('deleteTaxiiFeed', { params: { id } }),
    onSuccess,
  });
}

/** Pulls a feed now; the indicators it brought land in the list. */
export function usePullTaxiiFeed() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (id: string) => call('pullTaxiiFeed', { params: { id } }),
    onSuccess,
    // A failed pull is recorded on the feed (lastError): show it too.
    onError: onSuccess,
  });
}

export function useImportIndicators() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: IndicatorImport) => call('importIndicators', { body }),
    onSuccess,
  });
}

/** Saves the export with the list's filters as a file (CSV as served, STIX as pretty JSON). */
export async function downloadIndicators(format: 'csv' | 'stix', query: IndicatorExportQuery): Promise<void> {
  const res = await rawCall(format === 'csv' ? 'exportIndicatorsCsv' : 'exportIndicatorsStix', { query });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = format === 'csv' ? 'indicators.csv' : 'indicators.stix.json';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
