import { z } from 'zod';
import { CONFIG_SCHEMA } from './config-schema';

type Json = { [key: string]: unknown };

/** A `${VAR}` / `${VAR:-default}` placeholder inside a string (replaced from the environment at load). */
const PLACEHOLDER: Json = {
  type: 'string',
  pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}',
  description: 'A value from the environment: ${VAR} or ${VAR:-default}.',
};

/**
 * The JSON Schema (draft-07) of the YAML configuration, generated from {@link CONFIG_SCHEMA}, for
 * editors (`# yaml-language-server: $schema=./config.schema.json` at the top of `config/*.yaml`).
 * Every key is optional (defaults apply) and unknown keys are flagged. A value that is not a plain
 * string may also be a `${VAR}` placeholder, as the loader accepts. Written to
 * `config/config.schema.json` by `npm run config:schema`; a test fails when that file is stale.
 */
export function configJsonSchema(): Json {
  const generated = z.toJSONSchema(CONFIG_SCHEMA, { io: 'input', target: 'draft-7', unrepresentable: 'throw' }) as Json;
  const { $schema, ...body } = generated;
  return {
    $schema,
    title: 'Service configuration (config/*.yaml)',
    ...allowPlaceholders(body),
    definitions: { placeholder: PLACEHOLDER },
  };
}

/** Where a leaf is a number, boolean, enum or patterned string, a `${VAR}` placeholder is accepted too. */
function allowPlaceholders(node: Json): Json {
  const out: Json = { ...node };
  if (isJson(out.properties)) {
    out.properties = Object.fromEntries(Object.entries(out.properties).map(([key, child]) => [key, allowPlaceholders(child as Json)]));
  }
  if (isJson(out.additionalProperties)) out.additionalProperties = allowPlaceholders(out.additionalProperties);
  if (isJson(out.items)) out.items = allowPlaceholders(out.items);
  const leaf = out.type === 'integer' || out.type === 'number' || out.type === 'boolean' || (out.type === 'string' && (out.pattern || out.enum));
  if (!leaf) return out;
  const { description, default: fallback, ...value } = out;
  return {
    ...(description === undefined ? {} : { description }),
    ...(fallback === undefined ? {} : { default: fallback }),
    anyOf: [value, { $ref: '#/definitions/placeholder' }],
  };
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** {@link configJsonSchema} as written to `config/config.schema.json` (2-space JSON, final newline). */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
