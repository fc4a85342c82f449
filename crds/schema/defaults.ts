// Applies a schema's defaults to a value the way the API server does on create: a missing
// property with a default gets it, recursively through present objects, list items and
// map values. Lets tests (and the operator's unit tests) build objects exactly as stored.

import type { JsonSchemaProps } from './builder.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function applyDefaults<T>(schema: JsonSchemaProps, value: T): T {
  return applyTo(schema, value) as T;
}

function applyTo(schema: JsonSchemaProps, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items === undefined ? value : value.map((v) => applyTo(items, v));
  }
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  if (schema.properties !== undefined) {
    for (const [name, child] of Object.entries(schema.properties)) {
      if (name in value) out[name] = applyTo(child, value[name]);
      else if (child.default !== undefined) out[name] = structuredClone(child.default);
    }
    // Keep unknown fields so that a caller comparing with the server sees them pruned there.
    for (const [name, v] of Object.entries(value)) if (!(name in schema.properties)) out[name] = v;
    return out;
  }
  const values = schema.additionalProperties;
  if (values === undefined) return value;
  for (const [name, v] of Object.entries(value)) out[name] = applyTo(values, v);
  return out;
}
