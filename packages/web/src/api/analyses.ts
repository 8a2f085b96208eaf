import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  UNFINISHED_ANALYSIS_STATUSES,
  type Analysis,
  type AnalysisListQuery,
  type AnalysisResubmit,
  type AnalysisSubmit,
} from '@quell/contracts';
import { actionKeys } from './actions';
import { ApiError, call, getCsrfToken } from './client';
import { LIVE_MS } from './devices';

export const analysisKeys = {
  all: ['analyses'] as const,
  one: (id: string) => ['analyses', 'one', id] as const,
  list: (q: AnalysisListQuery) => ['analyses', 'list', q] as const,
};

const UNFINISHED = new Set<string>(UNFINISHED_ANALYSIS_STATUSES);

/** One analysis with its report; followed every {@link LIVE_MS} while queued or running. */
export function useAnalysis(id: string) {
  return useQuery({
    queryKey: analysisKeys.one(id),
    queryFn: () => call('getAnalysis', { params: { id } }),
    refetchInterval: (query) => (UNFINISHED.has(query.state.data?.status ?? 'queued') ? LIVE_MS : false),
  });
}

/** The queue and history, newest first; followed closely while anything listed is unfinished. */
export function useAnalysisList(q: AnalysisListQuery) {
  return useQuery({
    queryKey: analysisKeys.list(q),
    queryFn: () => call('listAnalyses', { query: q }),
    refetchInterval: (query) =>
      (query.state.data?.items ?? []).some((a) => UNFINISHED.has(a.status)) ? LIVE_MS : 15_000,
  });
}

function useRefresh() {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: analysisKeys.all });
    void qc.invalidateQueries({ queryKey: actionKeys.all });
  };
}

export function useResubmitAnalysis(id: string) {
  const onSuccess = useRefresh();
  return useMutation({
    mutationFn: (body: AnalysisResubmit) => call('resubmitAnalysis', { params: { id }, body }),
    onSuccess,
  });
}

export function useCancelAnalysis(id: string) {
  const onSuccess = useRefresh();
  return useMutation({
    mutationFn: () => call('cancelAnalysis', { params: { id }, body: {} }),
    onSuccess,
  });
}

/** Detonates a file the server holds (a collected or uploaded copy). */
export function useSubmitAnalysis() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: AnalysisSubmit) => call('submitAnalysis', { body }),
    onSuccess,
  });
}

/** The server's upload limit (deep-analysis.md); checked here too so a large file is refused at once. */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/**
 * Uploads a file as the raw body of `POST /api/analyses/upload` (the typed client sends JSON only)
 * and detonates it. The session cookie and CSRF token authorise it like any other write.
 */
async function uploadSample(file: File, comment?: string): Promise<Analysis> {
  const query = new URLSearchParams({ name: file.name, ...(comment && { comment }) });
  const csrf = getCsrfToken();
  const res = await fetch(`/api/analyses/upload?${query.toString()}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'content-type': 'application/octet-stream',
      accept: 'application/json',
      ...(csrf && { 'x-csrf-token': csrf }),
    },
    body: file,
  });
  const body = (await res.json().catch(() => ({}))) as Partial<{
    code: string;
    message: string;
    details: Record<string, unknown>;
  }>;
  if (!res.ok)
    throw new ApiError(
      res.status,
      body.code ?? `HTTP_${res.status}`,
      body.message ?? res.statusText,
      body.details,
    );
  return body as Analysis;
}

export function useUploadAnalysis() {
  const onSuccess = useRefresh();
  return useMutation({
    meta: { quiet: true },
    mutationFn: ({ file, comment }: { file: File; comment?: string }) => uploadSample(file, comment),
    onSuccess,
  });
}
