import type { TSchema } from '@sinclair/typebox';
import type { Permission } from '@quell/core';

/** One API route as data: the server, the OpenAPI document and the client all read it. */
export interface RouteDef {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  /** `public`: no login; `authenticated`: any logged-in principal; otherwise the permission needed. */
  auth: Permission | 'public' | 'authenticated';
  params?: TSchema;
  query?: TSchema;
  body?: TSchema;
  response: TSchema;
  /** Status code of a success. */
  status?: number;
  /** Response content type when not JSON. */
  produces?: string;
}

export const r = <const T extends RouteDef>(d: T) => d;
