// The builder's output is a Kubernetes structural schema, and its static types follow the
// schema: required, optional and defaulted properties, enums, maps, lists.

import {
  type Schema,
  type Static,
  array,
  boolean,
  describe as describeSchema,
  enumOf,
  integer,
  intOrString,
  map,
  object,
  optional,
  string,
  withDefault,
} from '../../../crds/schema/builder.js';
import { applyDefaults } from '../../../crds/schema/defaults.js';

const sample = object({
  name: string({ maxLength: 10 }),
  mode: withDefault(enumOf(['a', 'b'] as const), 'a'),
  count: optional(integer({ minimum: 0 })),
  port: optional(intOrString()),
  tags: optional(map(string({ maxLength: 5 }), { maxProperties: 4 })),
  items: optional(array(object({ on: boolean(), size: withDefault(integer(), 3) }), { maxItems: 2 })),
});
type Sample = Static<typeof sample>;

describe('schema builder', () => {
  it('lists required properties only: optional and defaulted ones are not', () => {
    expect(sample.json.required).toEqual(['name']);
    expect(sample.json.properties?.mode?.default).toBe('a');
  });

  it('emits structural constructs only', () => {
    expect(sample.json.properties?.port).toEqual({ 'x-kubernetes-int-or-string': true });
    expect(sample.json.properties?.tags).toEqual({ type: 'object', additionalProperties: { type: 'string', maxLength: 5 }, maxProperties: 4 });
    expect(sample.json.properties?.mode).toEqual({ type: 'string', enum: ['a', 'b'], default: 'a' });
  });

  it('puts the description first and keeps validations', () => {
    const s = string({ description: 'd', maxLength: 3, validations: [{ rule: 'self != ""', message: 'm' }] });
    expect(Object.keys(s.json)[0]).toBe('description');
    expect(s.json['x-kubernetes-validations']).toEqual([{ rule: 'self != ""', message: 'm' }]);
    expect(describeSchema(s, 'other').json.description).toBe('other');
  });

  it('derives static types: defaulted fields present, optional ones optional', () => {
    const stored: Sample = { name: 'x', mode: 'b', items: [{ on: true, size: 1 }] };
    // @ts-expect-error mode is always present once stored (server-side default)
    const missingDefault: Sample = { name: 'x' };
    // @ts-expect-error enum values are checked
    const wrongEnum: Sample = { name: 'x', mode: 'c' };
    const port: Sample['port'] = 'http';
    expect([stored, missingDefault, wrongEnum, port]).toHaveLength(4);
  });

  it('applies defaults the way the API server does', () => {
    expect(applyDefaults(sample.json, { name: 'x', items: [{ on: true }], tags: { a: 'b' } })).toEqual({
      name: 'x',
      mode: 'a',
      items: [{ on: true, size: 3 }],
      tags: { a: 'b' },
    });
    expect(applyDefaults(sample.json, { name: 'x', mode: 'b' })).toEqual({ name: 'x', mode: 'b' });
  });

  it('keeps optional and required schemas apart at the type level', () => {
    const required: Schema<string> = string();
    // @ts-expect-error an optional schema cannot be made optional (or defaulted) again
    optional(optional(required));
    expect(required.presence).toBe('required');
  });
});
