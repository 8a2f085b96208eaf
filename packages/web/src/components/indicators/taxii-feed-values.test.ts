import { describe, expect, it } from 'vitest';
import { ApiError, type TaxiiFeed } from '@quell/contracts';
import {
  NEW_FEED_VALUES,
  feedFieldErrors,
  feedInput,
  feedPatch,
  feedValues,
  type TaxiiFeedValues,
} from './taxii-feed-values';

const FEED: TaxiiFeed = {
  id: 'feed_1',
  name: 'Partner CTI',
  discoveryUrl: null,
  apiRootUrl: 'https://cti.example/api1/',
  collectionId: 'c1',
  authKind: 'basic',
  username: 'quell',
  secretEnv: 'QUELL_TAXII_PARTNER',
  defaultAction: 'block',
  defaultSeverity: 'medium',
  intervalMinutes: 60,
  enabled: true,
  addedAfter: null,
  lastPulledAt: null,
  lastError: null,
  lastCounts: { imported: 0, updated: 0, rejected: 0, removed: 0 },
  createdBy: 'admin',
  createdAt: '2030-01-01T00:00:00.000Z',
};
const initial = feedValues(FEED);
const edited = (c: Partial<TaxiiFeedValues>) => feedPatch(initial, { ...initial, ...c });

describe('feedInput', () => {
  it('sends only the credentials the chosen auth kind uses, and the interval when one is given', () => {
    const v = {
      ...NEW_FEED_VALUES,
      name: ' Partner ',
      url: 'https://cti.example/taxii2/ ',
      urlKind: 'discovery' as const,
      collectionId: 'c1',
      username: 'left over',
      secretEnv: 'QUELL_TOKEN',
      authKind: 'bearer' as const,
      interval: '' as const,
    };
    expect(feedInput(v)).toEqual({
      name: 'Partner',
      collectionId: 'c1',
      discoveryUrl: 'https://cti.example/taxii2/',
      authKind: 'bearer',
      secretEnv: 'QUELL_TOKEN',
      defaultAction: 'block',
      defaultSeverity: 'medium',
    });
  });
});

describe('feedPatch', () => {
  it('is empty when nothing changed', () => {
    expect(feedPatch(initial, { ...initial })).toEqual({});
  });

  it.each<[string, Partial<TaxiiFeedValues>, object]>([
    ['a new name, trimmed', { name: ' Partner 2 ' }, { name: 'Partner 2' }],
    [
      'a new URL of the same kind',
      { url: 'https://cti2.example/api1/' },
      { apiRootUrl: 'https://cti2.example/api1/' },
    ],
    [
      'a new URL kind, clearing the other',
      { urlKind: 'discovery', url: 'https://cti.example/taxii2/' },
      { discoveryUrl: 'https://cti.example/taxii2/', apiRootUrl: null },
    ],
    ['the collection', { collectionId: 'c2' }, { collectionId: 'c2' }],
    [
      'bearer auth, clearing the user name it hides',
      { authKind: 'bearer' },
      { authKind: 'bearer', username: null, secretEnv: 'QUELL_TAXII_PARTNER' },
    ],
    ['no auth, clearing both', { authKind: 'none' }, { authKind: 'none', username: null, secretEnv: null }],
    [
      'another secret variable, with the auth it belongs to',
      { secretEnv: 'OTHER' },
      { authKind: 'basic', username: 'quell', secretEnv: 'OTHER' },
    ],
    [
      'the defaults',
      { defaultAction: 'audit', defaultSeverity: 'high' },
      { defaultAction: 'audit', defaultSeverity: 'high' },
    ],
    ['a new interval, even a bad one (the server judges)', { interval: 0 }, { intervalMinutes: 0 }],
    ['nothing for an emptied interval', { interval: '' }, {}],
    ['a pause', { enabled: false }, { enabled: false }],
    ['a cursor reset', { resetCursor: true }, { resetCursor: true }],
  ])('sends %s', (_what, change, patch) => {
    expect(edited(change)).toEqual(patch);
  });

  it('keeps the second URL of a feed that has both unless the URL kind changes', () => {
    const both = feedValues({ ...FEED, discoveryUrl: 'https://cti.example/taxii2/' });
    expect(both).toMatchObject({ urlKind: 'apiRoot', url: 'https://cti.example/api1/' });
    expect(feedPatch(both, { ...both, url: 'https://cti3.example/api1/' })).toEqual({
      apiRootUrl: 'https://cti3.example/api1/',
    });
  });
});

describe('feedFieldErrors', () => {
  it('points at the fields a schema refusal names, first problem of each', () => {
    const e = new ApiError(400, 'QUELL_E_INPUT', 'Invalid body: …', {
      problems: [
        'body.intervalMinutes must be >= 5',
        'body.secretEnv must match pattern "^[A-Za-z_][A-Za-z0-9_]*$"',
        'body.secretEnv must be null',
        'body.apiRootUrl must match pattern "^https?://"',
        'body has an unknown field "x"',
      ],
    });
    expect(feedFieldErrors(e)).toEqual({
      interval: 'must be >= 5',
      secretEnv: 'must match pattern "^[A-Za-z_][A-Za-z0-9_]*$"',
      url: 'must match pattern "^https?://"',
    });
  });

  it('points at the field of a service check and at the name of a taken name', () => {
    const check = new ApiError(400, 'QUELL_E_INPUT', 'basic authentication needs a username.', {
      field: 'username',
    });
    expect(feedFieldErrors(check)).toEqual({ username: 'basic authentication needs a username.' });
    const taken = new ApiError(409, 'QUELL_E_CONFLICT', 'A TAXII feed named "x" exists', { name: 'x' });
    expect(feedFieldErrors(taken)).toEqual({ name: 'A TAXII feed named "x" exists' });
  });

  it('names no field for other errors', () => {
    expect(feedFieldErrors(new Error('network down'))).toEqual({});
    expect(feedFieldErrors(new ApiError(400, 'QUELL_E_INPUT', 'x', { field: 'toString' }))).toEqual({});
  });
});
