/** Tables of deep analyses (issue 4); migration 007. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the deep-analysis work
export interface AnalysisTables {}
