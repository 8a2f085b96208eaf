import { r, type RouteDef } from './route-def.js';

/** Indicators of compromise: CRUD, import/export (CSV, STIX 2.1), TAXII pulls (issue 4). */
export const INDICATOR_ROUTES = {} as const satisfies Record<string, RouteDef>;

// `r` is the way routes are declared here (see routes.ts); kept imported for the routes to come.
void r;
