/**
 * The subset of JSON Schema the catalog uses to describe parameters and results. Kept as plain data
 * so `core` stays free of libraries; the server compiles these with its validator.
 */
export type JsonSchema =
  | {
      type: 'string';
      minLength?: number;
      maxLength?: number;
      pattern?: string;
      enum?: readonly string[];
      format?: string;
      description?: string;
      default?: string;
    }
  | { type: 'integer' | 'number'; minimum?: number; maximum?: number; description?: string; default?: number }
  | { type: 'boolean'; description?: string; default?: boolean }
  | { type: 'array'; items: JsonSchema; minItems?: number; maxItems?: number; description?: string }
  | {
      type: 'object';
      properties: Record<string, JsonSchema>;
      required?: readonly string[];
      additionalProperties: false;
      description?: string;
    };

export const noParams = {
  type: 'object',
  properties: {},
  additionalProperties: false,
} as const satisfies JsonSchema;

export const sha256Schema = {
  type: 'string',
  pattern: '^[A-Fa-f0-9]{64}$',
  description: 'SHA-256 of the file, hex',
} as const satisfies JsonSchema;

export const commentSchema = {
  type: 'string',
  maxLength: 1000,
  description: 'Why this action is taken',
} as const satisfies JsonSchema;
