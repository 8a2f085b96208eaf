import { Checkbox, NumberInput, Select, Stack, TagsInput, Text, TextInput, Textarea } from '@mantine/core';
import type { JsonSchema } from '@quell/core';
import { humanize } from '../lib/format';

type ObjectSchema = Extract<JsonSchema, { type: 'object' }>;

/** The catalog's `params` as an object schema; anything else means "no parameters". */
export function asObjectSchema(s: unknown): ObjectSchema | null {
  if (
    typeof s === 'object' &&
    s !== null &&
    (s as { type?: unknown }).type === 'object' &&
    typeof (s as { properties?: unknown }).properties === 'object'
  ) {
    return s as ObjectSchema;
  }
  return null;
}

/** Fills schema defaults into the values the entity already provides. */
export function initialValues(
  schema: ObjectSchema | null,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(schema?.properties ?? {})) {
    if (k in given) out[k] = given[k];
    else if ('default' in p && p.default !== undefined) out[k] = p.default;
  }
  return out;
}

/** Problems the server would refuse, caught before sending: missing required fields, bad patterns. */
export function schemaProblems(schema: ObjectSchema | null, v: Record<string, unknown>): string[] {
  if (!schema) return [];
  const problems: string[] = [];
  for (const k of schema.required ?? [])
    if (v[k] === undefined || v[k] === '') problems.push(`${humanize(k)} is required`);
  for (const [k, p] of Object.entries(schema.properties)) {
    const x = v[k];
    if (p.type === 'string' && typeof x === 'string' && x && p.pattern && !new RegExp(p.pattern).test(x))
      problems.push(`${humanize(k)} does not look right`);
  }
  return problems;
}

/** Drops empty fields so optional parameters are left out rather than sent blank. */
export function cleanValues(v: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(v).filter(([, x]) => x !== undefined && x !== '' && !(Array.isArray(x) && x.length === 0)),
  );
}

/** A form for an action's parameters, from its JSON Schema (strings, enums, integers, booleans, string lists). */
export function SchemaForm({
  schema,
  value,
  onChange,
  exclude = [],
}: {
  schema: ObjectSchema | null;
  value: Record<string, unknown>;
  onChange: (v: Record<string, unknown>) => void;
  exclude?: readonly string[];
}) {
  const props = Object.entries(schema?.properties ?? {}).filter(([k]) => !exclude.includes(k));
  if (props.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        This action takes no parameters.
      </Text>
    );
  }
  const required = new Set(schema?.required ?? []);
  const set = (k: string, x: unknown) => onChange({ ...value, [k]: x });
  return (
    <Stack gap="xs">
      {props.map(([k, p]) => (
        <Field
          key={k}
          name={k}
          schema={p}
          required={required.has(k)}
          value={value[k]}
          onChange={(x) => set(k, x)}
        />
      ))}
    </Stack>
  );
}

function Field({
  name,
  schema,
  required,
  value,
  onChange,
}: {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  onChange: (v: unknown) => void;
}) {
  const label = humanize(name);
  const description = schema.description;
  const common = { label, description, required, 'data-testid': `param-${name}` };
  switch (schema.type) {
    case 'string':
      if (schema.enum) {
        return (
          <Select
            {...common}
            data={schema.enum.map((e) => ({ value: e, label: humanize(e) }))}
            value={typeof value === 'string' ? value : null}
            onChange={(v) => onChange(v ?? undefined)}
            clearable={!required}
          />
        );
      }
      if (name === 'comment' || (schema.maxLength ?? 0) > 1000) {
        return (
          <Textarea
            {...common}
            autosize
            minRows={2}
            maxLength={schema.maxLength}
            value={typeof value === 'string' ? value : ''}
            onChange={(e) => onChange(e.currentTarget.value)}
          />
        );
      }
      return (
        <TextInput
          {...common}
          placeholder={schema.format === 'date-time' ? '2025-01-31T12:00:00Z' : undefined}
          maxLength={schema.maxLength}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
    case 'integer':
    case 'number':
      return (
        <NumberInput
          {...common}
          min={schema.minimum}
          max={schema.maximum}
          allowDecimal={schema.type === 'number'}
          value={typeof value === 'number' ? value : ''}
          onChange={(v) => onChange(typeof v === 'number' ? v : undefined)}
        />
      );
    case 'boolean':
      return (
        <Checkbox
          label={label}
          description={description}
          checked={value === true}
          onChange={(e) => onChange(e.currentTarget.checked)}
          data-testid={`param-${name}`}
        />
      );
    case 'array':
      return (
        <TagsInput
          {...common}
          placeholder="Type and press Enter"
          value={Array.isArray(value) ? value.map(String) : []}
          onChange={onChange}
          maxTags={schema.maxItems}
        />
      );
    case 'object':
      return (
        <Text size="sm" c="dimmed">
          {label}: nested parameters are not editable here; use the CLI or API.
        </Text>
      );
  }
}
