/** Tables of indicators of compromise (issue 4); migration 005. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the indicators work
export interface IndicatorTables {}
