// Invariants the API server (or its CEL cost estimator) would otherwise only reveal at
// install time, checked on every node of every generated schema.

import { customResourceDefinitions, KIND_DEFINITIONS, rootSchema } from '../../../crds/definitions.js';
import { CATEGORY, GROUP, VERSION } from '../../../crds/group.js';
import type { JsonSchemaProps } from '../../../crds/schema/builder.js';

interface Node {
  path: string;
  schema: JsonSchemaProps;
}

function nodes(schema: JsonSchemaProps, path = ''): Node[] {
  const out: Node[] = [{ path, schema }];
  for (const [name, child] of Object.entries(schema.properties ?? {})) out.push(...nodes(child, `${path}.${name}`));
  if (schema.items !== undefined) out.push(...nodes(schema.items, `${path}[]`));
  if (schema.additionalProperties !== undefined) out.push(...nodes(schema.additionalProperties, `${path}{}`));
  return out;
}

/** Follows a relative ".a.b" path through properties, as the API server does for fieldPath. */
function resolve(schema: JsonSchemaProps, relative: string): JsonSchemaProps | undefined {
  let current: JsonSchemaProps | undefined = schema;
  for (const part of relative.split('.').slice(1)) current = current?.properties?.[part];
  return current;
}

const all = KIND_DEFINITIONS.map((def) => ({ kind: def.meta.kind, nodes: nodes(rootSchema(def)) }));
const everyNode = all.flatMap(({ kind, nodes: ns }) => ns.map((n) => ({ kind, ...n })));

describe('generated CRD schemas', () => {
  it('give every node a type (structural schema), except int-or-string', () => {
    const untyped = everyNode.filter((n) => n.schema.type === undefined && n.schema['x-kubernetes-int-or-string'] !== true);
    expect(untyped.map((n) => `${n.kind}${n.path}`)).toEqual([]);
  });

  it('use no constructs that structural schemas forbid', () => {
    const forbidden = ['anyOf', 'oneOf', 'allOf', 'not', 'const', 'patternProperties', '$ref', 'additionalItems'];
    const offenders = everyNode.filter((n) => forbidden.some((k) => k in n.schema));
    expect(offenders.map((n) => `${n.kind}${n.path}`)).toEqual([]);
  });

  it('bound every string, list and map, so that CEL cost estimates stay within budget', () => {
    const unbounded = everyNode.filter(({ schema: s, path }) => {
      if (path === '.apiVersion' || path === '.kind' || path === '.metadata') return false;
      if (s.type === 'string') return s.maxLength === undefined && s.enum === undefined;
      if (s.type === 'array') return s.maxItems === undefined;
      if (s.type === 'object' && s.additionalProperties !== undefined) return s.maxProperties === undefined;
      return false;
    });
    expect(unbounded.map((n) => `${n.kind}${n.path}`)).toEqual([]);
  });

  it('give every CEL rule a message and a fieldPath that exists', () => {
    for (const { kind, path, schema } of everyNode) {
      for (const rule of schema['x-kubernetes-validations'] ?? []) {
        expect({ at: `${kind}${path}`, message: rule.message.length > 0 }).toEqual({ at: `${kind}${path}`, message: true });
        if (rule.fieldPath !== undefined) {
          expect({ at: `${kind}${path}`, fieldPath: rule.fieldPath, found: resolve(schema, rule.fieldPath) !== undefined }).toEqual({
            at: `${kind}${path}`,
            fieldPath: rule.fieldPath,
            found: true,
          });
        }
      }
    }
  });

  it('key list maps on fields that are always present', () => {
    for (const { schema } of everyNode) {
      const keys = schema['x-kubernetes-list-map-keys'];
      if (keys === undefined) continue;
      const item = schema.items;
      for (const key of keys) {
        expect(item?.required?.includes(key) === true || item?.properties?.[key]?.default !== undefined).toBe(true);
      }
    }
  });

  it('point printer columns at fields that exist', () => {
    for (const def of KIND_DEFINITIONS) {
      const root = rootSchema(def);
      for (const column of def.printerColumns) {
        if (column.jsonPath.startsWith('.metadata.')) continue;
        const plain = column.jsonPath.replace(/\[\?\(.*\)\]/, '');
        const target = plain.split('.').slice(1).reduce<JsonSchemaProps | undefined>(
          (s, part) => s?.properties?.[part] ?? s?.items?.properties?.[part],
          root,
        );
        expect({ column: column.name, found: target !== undefined }).toEqual({ column: column.name, found: true });
      }
    }
  });

  it('name every CRD consistently, in our group and category, with a status subresource', () => {
    for (const crd of customResourceDefinitions()) {
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${GROUP}`);
      expect(crd.spec.names.categories).toEqual([CATEGORY]);
      expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
      expect(crd.spec.versions.map((v) => v.name)).toEqual([VERSION]);
      expect(crd.spec.versions[0]?.subresources).toEqual({ status: {} });
    }
    const shortNames = customResourceDefinitions().flatMap((c) => c.spec.names.shortNames);
    expect(new Set(shortNames).size).toBe(shortNames.length);
  });

  it('show phase, weight, failed checks and last transition for canaries, and interval, step and max weight with -o wide', () => {
    const canary = KIND_DEFINITIONS.find((d) => d.meta.kind === 'Canary');
    const byName = new Map(canary?.printerColumns.map((c) => [c.name, c]));
    for (const name of ['Phase', 'Weight', 'FailedChecks', 'LastTransition']) expect(byName.get(name)?.priority).toBeUndefined();
    for (const name of ['Interval', 'Step', 'MaxWeight']) expect(byName.get(name)?.priority).toBe(1);
  });
});
