// A tiny schema builder whose values carry their static TypeScript type. It exists so that
// one definition yields both the CRD's OpenAPI v3 schema and the types the rest of the code
// uses. It can only build what Kubernetes accepts as a *structural* schema: every node has a
// type (or is int-or-string), maps use additionalProperties, there is no anyOf/oneOf/const/
// patternProperties. That is why we do not use a general JSON-Schema builder such as
// TypeBox: its unions, literals and records produce exactly the constructs the API server
// rejects, so every teammate would have to know which half of it is off-limits.

/** A CEL validation rule, as the API server's `x-kubernetes-validations` takes it. */
export interface CelRule {
  /** CEL expression; `self` is the value of the node the rule sits on. */
  readonly rule: string;
  /** Fixed message; used when messageExpression is absent or fails, and in the API reference. */
  readonly message: string;
  /** CEL expression producing the message (string), for messages that quote the bad value. */
  readonly messageExpression?: string;
  /** Relative JSON path (".field") the error is reported on, so the rejection names the field. */
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps that the builder emits. */
export interface JsonSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  enum?: readonly (string | number)[];
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  properties?: Record<string, JsonSchemaProps>;
  required?: string[];
  items?: JsonSchemaProps;
  additionalProperties?: JsonSchemaProps;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'granular' | 'atomic';
  'x-kubernetes-validations'?: CelRule[];
}

/**
 * How a property appears inside its object: `required` (the API server demands it),
 * `optional`, or `defaulted` (optional on input, but always present once stored because
 * the API server fills in the default, hence non-optional in the static type).
 */
export type Presence = 'required' | 'optional' | 'defaulted';

declare const staticType: unique symbol;

/** A schema node. `T` is the static type of the values it accepts. */
export interface Schema<T, P extends Presence = 'required'> {
  readonly json: JsonSchemaProps;
  readonly presence: P;
  /** Phantom: never set at run time, only carries T for inference. */
  readonly [staticType]?: T;
}

/** The static type a schema describes: `type CanarySpec = Static<typeof canarySpec>`. */
export type Static<S> = S extends Schema<infer T, Presence> ? T : never;

type AnySchema = Schema<unknown, Presence>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<P> = { [K in keyof P]: P[K] extends Schema<unknown, 'optional'> ? K : never }[keyof P];
type NonOptionalKeys<P> = Exclude<keyof P, OptionalKeys<P>>;
export type ObjectStatic<P extends Record<string, AnySchema>> = Simplify<
  { [K in NonOptionalKeys<P>]: Static<P[K]> } & { [K in OptionalKeys<P>]?: Static<P[K]> }
>;

/** Options every node takes. */
export interface Common {
  description?: string;
  validations?: readonly CelRule[];
}

function node<T>(json: JsonSchemaProps, common: Common): Schema<T> {
  // Description first: it is what a reader of the generated YAML looks for.
  const out: JsonSchemaProps = common.description === undefined ? { ...json } : { description: common.description, ...json };
  if (common.validations !== undefined && common.validations.length > 0) {
    out['x-kubernetes-validations'] = [...common.validations];
  }
  return { json: out, presence: 'required' };
}

export interface StringOptions extends Common {
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: 'date-time';
}

/** A string. Give every string a maxLength: CEL cost estimates depend on it. */
export function string(opts: StringOptions = {}): Schema<string> {
  const { description: _d, validations: _v, ...rest } = opts;
  return node<string>({ type: 'string', ...rest }, opts);
}

/** A string restricted to the given values; its static type is the union of them. */
export function enumOf<const V extends readonly string[]>(values: V, opts: Common = {}): Schema<V[number]> {
  return node<V[number]>({ type: 'string', enum: [...values] }, opts);
}

export interface NumberOptions extends Common {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
}

/** An integer (int64 on the wire; our values stay far below 2^53). */
export function integer(opts: NumberOptions & { format?: 'int32' | 'int64' } = {}): Schema<number> {
  const { description: _d, validations: _v, ...rest } = opts;
  return node<number>({ type: 'integer', ...rest }, opts);
}

/** A floating-point number. */
export function number(opts: NumberOptions = {}): Schema<number> {
  const { description: _d, validations: _v, ...rest } = opts;
  return node<number>({ type: 'number', ...rest }, opts);
}

export function boolean(opts: Common = {}): Schema<boolean> {
  return node<boolean>({ type: 'boolean' }, opts);
}

/** Kubernetes' int-or-string (e.g. a container port number or its name). */
export function intOrString(opts: Common = {}): Schema<number | string> {
  return node<number | string>({ 'x-kubernetes-int-or-string': true }, opts);
}

export interface ObjectOptions extends Common {
  minProperties?: number;
}

/** An object with known properties; `required` is derived from the properties' presence. */
export function object<P extends Record<string, AnySchema>>(props: P, opts: ObjectOptions = {}): Schema<ObjectStatic<P>> {
  const properties: Record<string, JsonSchemaProps> = {};
  const required: string[] = [];
  for (const [name, prop] of Object.entries(props)) {
    properties[name] = prop.json;
    if (prop.presence === 'required') required.push(name);
  }
  const json: JsonSchemaProps = { type: 'object', properties };
  if (required.length > 0) json.required = required;
  if (opts.minProperties !== undefined) json.minProperties = opts.minProperties;
  return node<ObjectStatic<P>>(json, opts);
}

export interface ArrayOptions extends Common {
  minItems?: number;
  /** Required: unbounded lists make CEL cost estimates explode. */
  maxItems: number;
  /** `map` with `listMapKeys` makes the API server reject duplicate keys and lets SSA merge. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

export function array<S extends AnySchema>(items: S, opts: ArrayOptions): Schema<Static<S>[]> {
  const json: JsonSchemaProps = { type: 'array', items: items.json, maxItems: opts.maxItems };
  if (opts.minItems !== undefined) json.minItems = opts.minItems;
  if (opts.listType !== undefined) json['x-kubernetes-list-type'] = opts.listType;
  if (opts.listMapKeys !== undefined) json['x-kubernetes-list-map-keys'] = opts.listMapKeys;
  return node<Static<S>[]>(json, opts);
}

export interface MapOptions extends Common {
  /** Required for the same reason as ArrayOptions.maxItems. */
  maxProperties: number;
  minProperties?: number;
}

/** A map from string keys to values of one schema (additionalProperties). */
export function map<S extends AnySchema>(values: S, opts: MapOptions): Schema<Record<string, Static<S>>> {
  const json: JsonSchemaProps = { type: 'object', additionalProperties: values.json, maxProperties: opts.maxProperties };
  if (opts.minProperties !== undefined) json.minProperties = opts.minProperties;
  return node<Record<string, Static<S>>>(json, opts);
}

/** Marks a property as optional: not in `required`, `?:` in the static type. */
export function optional<T>(schema: Schema<T>): Schema<T, 'optional'> {
  return { json: schema.json, presence: 'optional' };
}

/**
 * Gives a property a server-side default. It is then optional for whoever writes the
 * object but always present when read back, so the static type keeps it non-optional.
 */
export function withDefault<T>(schema: Schema<T>, value: T): Schema<T, 'defaulted'> {
  return { json: { ...schema.json, default: value }, presence: 'defaulted' };
}

/** The same schema with another description (for a shared piece used in several places). */
export function describe<T>(schema: Schema<T>, description: string): Schema<T> {
  const { description: _old, ...rest } = schema.json;
  return { json: { description, ...rest }, presence: 'required' };
}

/**
 * A CEL raw string literal for a regular expression, so that backslashes reach the regex
 * engine as written (in a plain CEL string, "\." is an invalid escape).
 */
export function celRegex(pattern: string): string {
  if (pattern.includes("'")) throw new Error(`cannot embed a pattern with a single quote in CEL: ${pattern}`);
  return `r'${pattern}'`;
}
