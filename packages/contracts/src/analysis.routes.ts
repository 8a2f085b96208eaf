import { r, type RouteDef } from './route-def.js';

/** Deep analysis: submissions, the queue, reports and dropped files (issue 4). */
export const ANALYSIS_ROUTES = {} as const satisfies Record<string, RouteDef>;

// `r` is the way routes are declared here (see routes.ts); kept imported for the routes to come.
void r;
