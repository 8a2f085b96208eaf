/** Tables of deep analyses (issue 4); migration 007. */

/**
 * One submission of a file to the sandbox. The report itself, the raw trace and the dropped files
 * are blobs (content-addressed); the row keeps their hashes and what lists and filters need.
 */
export interface AnalysesTable {
  id: string;
  /** The sample's SHA-256 (lower-case hex); also its blob. */
  sha256: string;
  file_name: string;
  /** `ANALYSIS_STATUSES` (contracts). */
  status: string;
  /** `clean` | `suspicious` | `malicious`; null until a report exists. */
  verdict: string | null;
  score: number | null;
  timeout_ms: number;
  report_sha256: string | null;
  trace_sha256: string | null;
  error: string | null;
  requested_by: string;
  requested_by_id: string;
  comment: string | null;
  /** The `deep_analysis` action that carries it out. */
  action_id: string | null;
  /** The analysis this one repeats. */
  resubmission_of: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface AnalysisTables {
  analyses: AnalysesTable;
}
