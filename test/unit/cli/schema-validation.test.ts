import { celRules, validateAgainstSchema } from '../../../cli/schema-validation.js';
import type { JsonSchemaProps } from '../../../crds/schema/builder.js';

const schema: JsonSchemaProps = {
  type: 'object',
  required: ['name', 'port'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 5, pattern: '^[a-z]+$' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    ratio: { type: 'number', minimum: 0, maximum: 1, exclusiveMaximum: true },
    mode: { type: 'string', enum: ['a', 'b'] },
    when: { type: 'string', format: 'date-time' },
    target: { 'x-kubernetes-int-or-string': true },
    on: { type: 'boolean' },
    tags: { type: 'array', maxItems: 2, minItems: 1, items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
    rules: {
      type: 'array',
      maxItems: 8,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } }, 'x-kubernetes-validations': [{ rule: 'true', message: 'item rule' }] },
    },
    labels: { type: 'object', maxProperties: 2, minProperties: 1, additionalProperties: { type: 'string', maxLength: 3 } },
  },
  'x-kubernetes-validations': [{ rule: 'self.port > 0', message: 'root rule' }],
};

const check = (value: unknown) => validateAgainstSchema(schema, value);

describe('validateAgainstSchema', () => {
  it('accepts a conforming value', () => {
    expect(
      check({ name: 'abc', port: 80, ratio: 0.5, mode: 'a', when: '2026-11-21T10:00:00Z', target: 'http', on: true, tags: ['x'], rules: [{ name: 'r' }], labels: { k: 'v' } }),
    ).toEqual([]);
    expect(check({ name: 'abc', port: 80, target: 8080 })).toEqual([]);
  });

  it('reports missing required fields, and counts null as missing', () => {
    expect(check({ name: 'abc' })).toEqual([{ field: 'port', message: 'required value is missing' }]);
    expect(check({ name: 'abc', port: null })).toEqual([{ field: 'port', message: 'required value is missing' }]);
  });

  it('reports wrong types with what was found', () => {
    expect(check({ name: 'abc', port: '80' })).toEqual([{ field: 'port', message: 'must be of type integer, not string ("80")' }]);
    expect(check({ name: 'abc', port: 1.5 })).toEqual([{ field: 'port', message: 'must be of type integer, not number (1.5)' }]);
    expect(check({ name: 'abc', port: 1, target: 1.5 })).toEqual([{ field: 'target', message: 'must be of type integer or string, not number (1.5)' }]);
    expect(check({ name: 'abc', port: 1, labels: ['x'] })).toEqual([{ field: 'labels', message: 'must be of type object, not array' }]);
    expect(check('text')).toEqual([{ field: '(document)', message: 'must be of type object, not string ("text")' }]);
  });

  it('checks string constraints', () => {
    expect(check({ name: '', port: 1 })).toEqual([
      { field: 'name', message: 'must not be empty' },
      { field: 'name', message: '"" must match the pattern ^[a-z]+$' },
    ]);
    expect(check({ name: 'abcdef', port: 1 })).toEqual([{ field: 'name', message: 'may not be longer than 5 characters (is 6)' }]);
    expect(check({ name: 'ab', port: 1, mode: 'c' })).toEqual([{ field: 'mode', message: 'unsupported value "c": supported values: "a", "b"' }]);
    expect(check({ name: 'ab', port: 1, when: 'yesterday' })).toEqual([
      { field: 'when', message: '"yesterday" must be an RFC 3339 date-time, e.g. 2026-11-21T10:00:00Z' },
    ]);
  });

  it('counts characters, not UTF-16 units, as the API server does', () => {
    expect(validateAgainstSchema({ type: 'string', maxLength: 2 }, '😀😀', 'x')).toEqual([]);
  });

  it('checks numeric bounds, exclusive ones too', () => {
    expect(check({ name: 'ab', port: 0 })).toEqual([{ field: 'port', message: 'must be greater than or equal to 1 (is 0)' }]);
    expect(check({ name: 'ab', port: 70000 })).toEqual([{ field: 'port', message: 'must be less than or equal to 65535 (is 70000)' }]);
    expect(check({ name: 'ab', port: 1, ratio: 1 })).toEqual([{ field: 'ratio', message: 'must be less than 1 (is 1)' }]);
  });

  it('checks item counts, set uniqueness and list-map keys', () => {
    expect(check({ name: 'ab', port: 1, tags: [] })).toEqual([{ field: 'tags', message: 'must have at least 1 item' }]);
    expect(check({ name: 'ab', port: 1, tags: ['a', 'b', 'c'] })).toEqual([{ field: 'tags', message: 'must have at most 2 items (has 3)' }]);
    expect(check({ name: 'ab', port: 1, tags: ['a', 'a'] })).toEqual([{ field: 'tags[1]', message: 'duplicate value "a" (also at tags[0])' }]);
    expect(check({ name: 'ab', port: 1, rules: [{ name: 'r' }, { name: 's' }, { name: 'r' }] })).toEqual([
      { field: 'rules[2]', message: 'duplicate value name="r" (also at rules[0])' },
    ]);
    expect(check({ name: 'ab', port: 1, rules: [{}] })).toEqual([{ field: 'rules[0].name', message: 'required value is missing' }]);
    expect(check({ name: 'ab', port: 1, tags: [null] })).toEqual([{ field: 'tags[0]', message: 'must not be null' }]);
  });

  it('checks maps by key, and their entry counts', () => {
    expect(check({ name: 'ab', port: 1, labels: { app: 'toolong' } })).toEqual([{ field: 'labels[app]', message: 'may not be longer than 3 characters (is 7)' }]);
    expect(check({ name: 'ab', port: 1, labels: {} })).toEqual([{ field: 'labels', message: 'must have at least 1 entry' }]);
    expect(check({ name: 'ab', port: 1, labels: { a: '1', b: '2', c: '3' } })).toEqual([{ field: 'labels', message: 'must have at most 2 entries (has 3)' }]);
  });

  it('reports unknown fields', () => {
    expect(check({ name: 'ab', port: 1, prot: 2 })).toEqual([{ field: 'prot', message: 'unknown field (kubectl apply rejects it; other clients silently drop it)' }]);
  });

  it('reports nested problems with the full path', () => {
    const nested: JsonSchemaProps = { type: 'object', properties: { spec: { type: 'object', properties: { items: { type: 'array', maxItems: 4, items: schema } } } } };
    expect(validateAgainstSchema(nested, { spec: { items: [{ name: 'ab', port: 1 }, { name: 'ab', port: -1 }] } })).toEqual([
      { field: 'spec.items[1].port', message: 'must be greater than or equal to 1 (is -1)' },
    ]);
  });
});

describe('celRules', () => {
  it('lists every CEL rule with where it sits', () => {
    expect(celRules(schema)).toEqual([
      { path: '(document)', rule: 'self.port > 0', message: 'root rule' },
      { path: 'rules[*]', rule: 'true', message: 'item rule' },
    ]);
  });
});
