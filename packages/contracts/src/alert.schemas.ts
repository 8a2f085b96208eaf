import { Type, type Static } from '@sinclair/typebox';
import { ALERT_STATUSES, SEVERITIES } from '@quell/core';
import { DateTime, Enum, Id } from './common.schemas.js';
import { EntityInput, EntityView } from './entity.schemas.js';

/** The latest instant a JavaScript Date can hold (ms since epoch). */
const MAX_TIME_MS = 8.64e15;

export const MitreTechnique = Type.String({
  pattern: '^T[0-9]{4}(\\.[0-9]{3})?$',
  description: 'MITRE ATT&CK technique id, e.g. T1486 or T1566.001',
});

/** An alert in Quell's own schema. */
export const AlertInput = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'The source’s alert id; ingesting the same id again changes nothing',
      }),
    ),
    title: Type.String({ minLength: 1, maxLength: 500 }),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    severity: Enum(SEVERITIES),
    category: Type.String({ minLength: 1, maxLength: 100, description: 'e.g. Ransomware, CredentialAccess' }),
    detectionSource: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'e.g. quell-agent, sigma, edr',
    }),
    mitreTechniques: Type.Optional(Type.Array(MitreTechnique, { maxItems: 50 })),
    firstActivityAt: DateTime,
    lastActivityAt: Type.Optional(DateTime),
    entities: Type.Array(EntityInput, { maxItems: 200 }),
  },
  { additionalProperties: false },
);
export type AlertInput = Static<typeof AlertInput>;

export const AlertBatchInput = Type.Object(
  { alerts: Type.Array(AlertInput, { minItems: 1, maxItems: 5000 }) },
  { additionalProperties: false },
);
export type AlertBatchInput = Static<typeof AlertBatchInput>;

export const IngestResult = Type.Object({
  results: Type.Array(
    Type.Object({
      alertId: Type.String(),
      incidentId: Type.String(),
      created: Type.Boolean({ description: 'false when the alert id was already known' }),
    }),
  ),
});
export type IngestResult = Static<typeof IngestResult>;

export const Alert = Type.Object({
  id: Type.String(),
  externalId: Type.Union([Type.String(), Type.Null()]),
  incidentId: Type.String(),
  title: Type.String(),
  description: Type.String(),
  severity: Enum(SEVERITIES),
  status: Enum(ALERT_STATUSES),
  category: Type.String(),
  detectionSource: Type.String(),
  mitreTechniques: Type.Array(Type.String()),
  firstActivityAt: DateTime,
  lastActivityAt: DateTime,
  createdAt: DateTime,
  entities: Type.Array(EntityView),
});
export type Alert = Static<typeof Alert>;

export const AlertParams = Type.Object({ id: Id }, { additionalProperties: false });

/**
 * OCSF Detection Finding (class_uid 2004), the fields Quell reads. Other OCSF fields are accepted
 * and ignored, as the schema allows producers to add them.
 */
export const OcsfDetectionFinding = Type.Object(
  {
    class_uid: Type.Literal(2004),
    time: Type.Integer({ minimum: 0, maximum: MAX_TIME_MS, description: 'Event time, ms since epoch' }),
    severity_id: Type.Integer({ minimum: 0, maximum: 99 }),
    finding_info: Type.Object(
      {
        uid: Type.String({ minLength: 1, maxLength: 200 }),
        title: Type.String({ minLength: 1, maxLength: 500 }),
        desc: Type.Optional(Type.String({ maxLength: 10_000 })),
        types: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 20 })),
        first_seen_time: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TIME_MS })),
        last_seen_time: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TIME_MS })),
        attacks: Type.Optional(
          Type.Array(
            Type.Object({
              technique: Type.Optional(Type.Object({ uid: Type.String({ maxLength: 20 }) })),
              tactic: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ maxLength: 100 })) })),
            }),
            { maxItems: 50 },
          ),
        ),
      },
      { additionalProperties: true },
    ),
    metadata: Type.Object(
      {
        product: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }) },
          { additionalProperties: true },
        ),
      },
      { additionalProperties: true },
    ),
    device: Type.Optional(
      Type.Object(
        {
          hostname: Type.String({ minLength: 1, maxLength: 255 }),
          uid: Type.Optional(Type.String({ maxLength: 100 })),
          ip: Type.Optional(Type.String({ maxLength: 64 })),
          os: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ maxLength: 100 })) })),
        },
        { additionalProperties: true },
      ),
    ),
    actor: Type.Optional(
      Type.Object(
        {
          user: Type.Optional(
            Type.Object(
              {
                name: Type.String({ minLength: 1, maxLength: 255 }),
                domain: Type.Optional(Type.String({ maxLength: 255 })),
                email_addr: Type.Optional(Type.String({ maxLength: 254 })),
              },
              { additionalProperties: true },
            ),
          ),
          process: Type.Optional(
            Type.Object(
              {
                pid: Type.Optional(Type.Integer({ minimum: 0 })),
                name: Type.Optional(Type.String({ maxLength: 255 })),
                cmd_line: Type.Optional(Type.String({ maxLength: 8192 })),
              },
              { additionalProperties: true },
            ),
          ),
        },
        { additionalProperties: true },
      ),
    ),
    evidences: Type.Optional(
      Type.Array(
        Type.Object(
          {
            file: Type.Optional(
              Type.Object(
                {
                  name: Type.Optional(Type.String({ maxLength: 255 })),
                  path: Type.Optional(Type.String({ maxLength: 4096 })),
                  size: Type.Optional(Type.Integer({ minimum: 0 })),
                  hashes: Type.Optional(
                    Type.Array(
                      Type.Object({
                        algorithm_id: Type.Integer({ description: '1 MD5, 2 SHA-1, 3 SHA-256' }),
                        value: Type.String({ maxLength: 128 }),
                      }),
                      { maxItems: 10 },
                    ),
                  ),
                },
                { additionalProperties: true },
              ),
            ),
            src_endpoint: Type.Optional(Type.Object({ ip: Type.Optional(Type.String({ maxLength: 64 })) })),
            dst_endpoint: Type.Optional(
              Type.Object({
                ip: Type.Optional(Type.String({ maxLength: 64 })),
                domain: Type.Optional(Type.String({ maxLength: 255 })),
              }),
            ),
            url: Type.Optional(Type.Object({ url_string: Type.Optional(Type.String({ maxLength: 4096 })) })),
            email: Type.Optional(
              Type.Object({
                to: Type.Optional(Type.Array(Type.String({ maxLength: 254 }), { maxItems: 50 })),
                from: Type.Optional(Type.String({ maxLength: 254 })),
              }),
            ),
          },
          { additionalProperties: true },
        ),
        { maxItems: 200 },
      ),
    ),
  },
  { additionalProperties: true },
);
export type OcsfDetectionFinding = Static<typeof OcsfDetectionFinding>;

const ocsfArray = Type.Array(OcsfDetectionFinding, { minItems: 1, maxItems: 5000 });
export type OcsfBatchInput = OcsfDetectionFinding | OcsfDetectionFinding[];
/** One finding or an array of them; `if/then/else` so errors name the shape that was sent. */
export const OcsfBatchInput = Type.Unsafe<OcsfBatchInput>({
  if: { type: 'array' },
  then: ocsfArray,
  else: OcsfDetectionFinding,
});

export type AlertOrBatchInput = AlertInput | AlertBatchInput;
/** One alert, or `{ alerts: [...] }`; `if/then/else` so errors name the shape that was sent. */
export const AlertOrBatchInput = Type.Unsafe<AlertOrBatchInput>({
  if: { type: 'object', required: ['alerts'] },
  then: AlertBatchInput,
  else: AlertInput,
});
