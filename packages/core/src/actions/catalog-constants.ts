/** Shared by the catalog entries: who may request or approve, and time units for timeouts. */
export const RESPONDERS = ['responder', 'admin'] as const;
export const ANALYSTS = ['analyst', 'responder', 'admin'] as const;
export const MINUTE = 60_000;
