import { r, type RouteDef } from './route-def.js';

/** Files: what Quell knows of a file, quarantine everywhere, collect and download, deep analysis (issue 4). */
export const FILE_ROUTES = {} as const satisfies Record<string, RouteDef>;

// `r` is the way routes are declared here (see routes.ts); kept imported for the routes to come.
void r;
