// Offline validation of a value against a CRD's structural schema, the checks the API
// server makes before it runs the CEL rules: types, required fields, enums, patterns,
// lengths, bounds, item and property counts, list uniqueness, formats, unknown fields.
// CEL rules (x-kubernetes-validations) are not evaluated here; celRules() lists them so that
// `check` can say which rules only the API server enforces.
import type { JsonSchemaProps } from '../crds/schema/builder.js';

export interface SchemaProblem {
  /** The API server's notation: spec.analysis.metrics[0].name, spec.service.headers.request.set[x-foo]. */
  field: string;
  message: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

// RFC 3339 as the API server's date-time format accepts it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const patternCache = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    // Our schema patterns use the subset where RE2 and JavaScript agree; the API server,
    // like test(), searches (it does not anchor), which is why the patterns carry ^ and $.
    re = new RegExp(pattern);
    patternCache.set(pattern, re);
  }
  return re;
}

function matchesType(schema: JsonSchemaProps, value: unknown): boolean {
  if (schema['x-kubernetes-int-or-string'] === true) return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  switch (schema.type) {
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case undefined:
      return true;
  }
}

function expectedType(schema: JsonSchemaProps): string {
  return schema['x-kubernetes-int-or-string'] === true ? 'integer or string' : (schema.type ?? 'any');
}

function stringProblems(schema: JsonSchemaProps, value: string, path: string): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const length = [...value].length;
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    out.push({ field: path, message: `unsupported value ${shown(value)}: supported values: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}` });
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    out.push({ field: path, message: schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters long` });
  }
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    out.push({ field: path, message: `may not be longer than ${schema.maxLength} characters (is ${length})` });
  }
  if (schema.pattern !== undefined && !compiled(schema.pattern).test(value)) {
    out.push({ field: path, message: `${shown(value)} must match the pattern ${schema.pattern}` });
  }
  if (schema.format === 'date-time' && !DATE_TIME.test(value)) {
    out.push({ field: path, message: `${shown(value)} must be an RFC 3339 date-time, e.g. 2026-11-21T10:00:00Z` });
  }
  return out;
}

function numberProblems(schema: JsonSchemaProps, value: number, path: string): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  if (schema.minimum !== undefined) {
    if (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum) {
      out.push({ field: path, message: `must be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${schema.minimum} (is ${value})` });
    }
  }
  if (schema.maximum !== undefined) {
    if (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum) {
      out.push({ field: path, message: `must be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${schema.maximum} (is ${value})` });
    }
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    out.push({ field: path, message: `unsupported value ${value}: supported values: ${schema.enum.join(', ')}` });
  }
  return out;
}

/** Canonical JSON (sorted keys) so that equal values compare equal for list uniqueness. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function arrayProblems(schema: JsonSchemaProps, value: unknown[], path: string): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    out.push({ field: path, message: `must have at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}` });
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    out.push({ field: path, message: `must have at most ${schema.maxItems} items (has ${value.length})` });
  }
  const listType = schema['x-kubernetes-list-type'];
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Map<string, number>();
  value.forEach((item, i) => {
    const at = `${path}[${i}]`;
    if (item === null || item === undefined) {
      out.push({ field: at, message: 'must not be null' });
      return;
    }
    if (schema.items !== undefined) out.push(...validateAgainstSchema(schema.items, item, at));
    if (listType === 'set' || (listType === 'map' && isRecord(item))) {
      const identity = listType === 'set' ? canonical(item) : canonical(keys.map((k) => (item as Record<string, unknown>)[k]));
      const first = seen.get(identity);
      if (first === undefined) seen.set(identity, i);
      else {
        const what = listType === 'set' ? shown(item) : keys.map((k) => `${k}=${shown((item as Record<string, unknown>)[k])}`).join(', ');
        out.push({ field: at, message: `duplicate value ${what} (also at ${path}[${first}])` });
      }
    }
  });
  return out;
}

function objectProblems(schema: JsonSchemaProps, value: Record<string, unknown>, path: string): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  // YAML's `key:` with nothing after it is null; the API server drops nulls of non-nullable
  // fields before validating, so a null counts as absent.
  const present = Object.keys(value).filter((k) => value[k] !== null && value[k] !== undefined);
  const count = present.length;
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    out.push({ field: path, message: `must have at least ${schema.minProperties} entr${schema.minProperties === 1 ? 'y' : 'ies'}` });
  }
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    out.push({ field: path, message: `must have at most ${schema.maxProperties} entries (has ${count})` });
  }
  for (const name of schema.required ?? []) {
    if (!present.includes(name)) out.push({ field: join(path, name), message: 'required value is missing' });
  }
  if (schema.properties !== undefined) {
    for (const name of present) {
      const child = schema.properties[name];
      if (child === undefined) {
        out.push({ field: join(path, name), message: 'unknown field (kubectl apply rejects it; other clients silently drop it)' });
      } else {
        out.push(...validateAgainstSchema(child, value[name], join(path, name)));
      }
    }
  } else if (schema.additionalProperties !== undefined) {
    for (const name of present) out.push(...validateAgainstSchema(schema.additionalProperties, value[name], `${path}[${name}]`));
  }
  return out;
}

/** Problems of `value` against `schema`, outermost first; empty when it conforms. */
export function validateAgainstSchema(schema: JsonSchemaProps, value: unknown, path = ''): SchemaProblem[] {
  if (!matchesType(schema, value)) {
    return [{ field: path === '' ? '(document)' : path, message: `must be of type ${expectedType(schema)}, not ${typeName(value)}${typeof value === 'object' ? '' : ` (${shown(value)})`}` }];
  }
  if (typeof value === 'string') return stringProblems(schema, value, path);
  if (typeof value === 'number') return numberProblems(schema, value, path);
  if (Array.isArray(value)) return arrayProblems(schema, value, path);
  if (isRecord(value)) return objectProblems(schema, value, path);
  return [];
}

/** A CEL rule of the schema, with where it sits (`[*]` for list items, `[*]` for map values). */
export interface LocatedRule {
  path: string;
  rule: string;
  message: string;
}

export function celRules(schema: JsonSchemaProps, path = ''): LocatedRule[] {
  const here = (schema['x-kubernetes-validations'] ?? []).map((r) => ({ path: path === '' ? '(document)' : path, rule: r.rule, message: r.message }));
  const children = [
    ...Object.entries(schema.properties ?? {}).flatMap(([name, child]) => celRules(child, join(path, name))),
    ...(schema.items === undefined ? [] : celRules(schema.items, `${path}[*]`)),
    ...(schema.additionalProperties === undefined ? [] : celRules(schema.additionalProperties, `${path}[*]`)),
  ];
  return [...here, ...children];
}
