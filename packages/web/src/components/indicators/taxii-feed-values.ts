import {
  ApiError,
  TAXII_AUTH_KINDS,
  type TaxiiFeed,
  type TaxiiFeedInput,
  type TaxiiFeedPatch,
} from '@quell/contracts';
import type { IndicatorAction, Severity } from '@quell/core';

/** What the TAXII feed form holds, and how it becomes a create body or a PATCH. */

export type TaxiiAuthKind = (typeof TAXII_AUTH_KINDS)[number];
export const FEED_URL_KINDS = ['apiRoot', 'discovery'] as const;
export type FeedUrlKind = (typeof FEED_URL_KINDS)[number];

export interface TaxiiFeedValues {
  name: string;
  urlKind: FeedUrlKind;
  url: string;
  collectionId: string;
  authKind: TaxiiAuthKind;
  /** Kept while hidden (another auth kind chosen), so switching back does not lose it. */
  username: string;
  /** The NAME of a server environment variable; the form never holds the secret itself. */
  secretEnv: string;
  defaultAction: IndicatorAction;
  defaultSeverity: Severity;
  /** Minutes; '' while the field is empty. */
  interval: number | '';
  enabled: boolean;
  /** Edit only: read the whole collection again on the next pull. */
  resetCursor: boolean;
}

export type TaxiiFeedField = keyof TaxiiFeedValues;
/** A refusal of the API attached to the field it names. */
export type TaxiiFeedFieldErrors = Partial<Record<TaxiiFeedField, string>>;

/** A new feed's form, with the server's defaults. */
export const NEW_FEED_VALUES: TaxiiFeedValues = {
  name: '',
  urlKind: 'apiRoot',
  url: '',
  collectionId: '',
  authKind: 'none',
  username: '',
  secretEnv: '',
  defaultAction: 'block',
  defaultSeverity: 'medium',
  interval: 60,
  enabled: true,
  resetCursor: false,
};

/** The form of an existing feed. A feed with both URLs (set through the API) shows its API root. */
export function feedValues(f: TaxiiFeed): TaxiiFeedValues {
  return {
    name: f.name,
    urlKind: f.apiRootUrl ? 'apiRoot' : 'discovery',
    url: f.apiRootUrl ?? f.discoveryUrl ?? '',
    collectionId: f.collectionId,
    authKind: f.authKind,
    username: f.username ?? '',
    secretEnv: f.secretEnv ?? '',
    defaultAction: f.defaultAction,
    defaultSeverity: f.defaultSeverity,
    interval: f.intervalMinutes,
    enabled: f.enabled,
    resetCursor: false,
  };
}

/** Name, URL and collection are needed before anything is sent; the server checks the rest. */
export const feedComplete = (v: TaxiiFeedValues): boolean =>
  !!v.name.trim() && !!v.url.trim() && !!v.collectionId.trim();

/** The user name and secret variable the form means: only those its auth kind shows. */
function authOf(v: TaxiiFeedValues): Pick<TaxiiFeed, 'authKind' | 'username' | 'secretEnv'> {
  return {
    authKind: v.authKind,
    username: v.authKind === 'basic' ? v.username.trim() || null : null,
    secretEnv: v.authKind !== 'none' ? v.secretEnv.trim() || null : null,
  };
}

/** The create body; an empty interval takes the server's default. */
export function feedInput(v: TaxiiFeedValues): TaxiiFeedInput {
  const url = v.url.trim();
  const auth = authOf(v);
  return {
    name: v.name.trim(),
    collectionId: v.collectionId.trim(),
    ...(v.urlKind === 'apiRoot' ? { apiRootUrl: url } : { discoveryUrl: url }),
    authKind: auth.authKind,
    ...(auth.username && { username: auth.username }),
    ...(auth.secretEnv && { secretEnv: auth.secretEnv }),
    defaultAction: v.defaultAction,
    defaultSeverity: v.defaultSeverity,
    ...(typeof v.interval === 'number' && { intervalMinutes: v.interval }),
  };
}

/**
 * The PATCH for what the user changed since the form opened, and nothing else, so a save never
 * overwrites a setting someone else changed meanwhile. Settings that go together are sent
 * together: a new URL kind clears the other kind's URL (the API root wins when both are set), and
 * any change to the authentication sends the kind with the user name and secret variable it shows,
 * clearing those it hides. An empty interval is left as it was.
 */
export function feedPatch(initial: TaxiiFeedValues, v: TaxiiFeedValues): TaxiiFeedPatch {
  const p: TaxiiFeedPatch = {};
  const name = v.name.trim();
  if (name !== initial.name.trim()) p.name = name;

  const url = v.url.trim();
  if (v.urlKind !== initial.urlKind) {
    if (v.urlKind === 'apiRoot') Object.assign(p, { apiRootUrl: url, discoveryUrl: null });
    else Object.assign(p, { discoveryUrl: url, apiRootUrl: null });
  } else if (url !== initial.url.trim()) {
    if (v.urlKind === 'apiRoot') p.apiRootUrl = url;
    else p.discoveryUrl = url;
  }

  const collectionId = v.collectionId.trim();
  if (collectionId !== initial.collectionId.trim()) p.collectionId = collectionId;

  const auth = authOf(v);
  const before = authOf(initial);
  if (
    auth.authKind !== before.authKind ||
    auth.username !== before.username ||
    auth.secretEnv !== before.secretEnv
  )
    Object.assign(p, auth);

  if (v.defaultAction !== initial.defaultAction) p.defaultAction = v.defaultAction;
  if (v.defaultSeverity !== initial.defaultSeverity) p.defaultSeverity = v.defaultSeverity;
  if (typeof v.interval === 'number' && v.interval !== initial.interval) p.intervalMinutes = v.interval;
  if (v.enabled !== initial.enabled) p.enabled = v.enabled;
  if (v.resetCursor) p.resetCursor = true;
  return p;
}

/** The API's names of a feed's settings, as the form's fields. */
const API_FIELD: Readonly<Record<string, TaxiiFeedField>> = {
  name: 'name',
  apiRootUrl: 'url',
  discoveryUrl: 'url',
  collectionId: 'collectionId',
  authKind: 'authKind',
  username: 'username',
  secretEnv: 'secretEnv',
  defaultAction: 'defaultAction',
  defaultSeverity: 'defaultSeverity',
  intervalMinutes: 'interval',
  enabled: 'enabled',
  resetCursor: 'resetCursor',
};
const fieldOf = (apiName: unknown): TaxiiFeedField | undefined =>
  typeof apiName === 'string' && Object.hasOwn(API_FIELD, apiName) ? API_FIELD[apiName] : undefined;

/**
 * The fields an API refusal names, each with what is wrong with it: schema problems
 * (`body.intervalMinutes must be >= 5`), the service's checks (`details.field`) and a name taken by
 * another feed (409, `details.name`). The whole message is shown as well; this only points at the
 * fields.
 */
export function feedFieldErrors(e: unknown): TaxiiFeedFieldErrors {
  if (!(e instanceof ApiError)) return {};
  const out: TaxiiFeedFieldErrors = {};
  const problems: unknown[] = Array.isArray(e.details.problems) ? e.details.problems : [];
  for (const problem of problems) {
    const m = typeof problem === 'string' ? /^body\.(\w+) (.+)$/.exec(problem) : null;
    const field = fieldOf(m?.[1]);
    // The first problem of a field is the one to fix; a union's alternatives follow it.
    if (field && m?.[2] && !out[field]) out[field] = m[2];
  }
  const named = fieldOf(e.details.field);
  if (named) out[named] ??= e.message;
  if (e.status === 409 && typeof e.details.name === 'string') out.name ??= e.message;
  return out;
}
