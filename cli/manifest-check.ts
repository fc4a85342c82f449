// `kubectl sluice check`: validates manifests offline, before they reach a cluster. Each
// Sluice object is checked against its CRD's structural schema (from customResourceDefinitions(),
// the same source the CRDs are generated from) and then, once it has the right shape, by the
// operator's own pure checks (crds/operator-checks.ts) on the spec with the schema defaults
// applied, as the operator would see it. CEL rules and rules that need other objects are left
// to the API server and the operator; serverOnlyRules() lists them.
import { parseAllDocuments } from 'yaml';
import {
  canaryProblems,
  type CanarySpec,
  type CustomResourceDefinition,
  customResourceDefinitions,
  meshRouteProblems,
  type MeshRouteSpec,
  metricTemplateProblems,
  type MetricTemplateSpec,
  OPERATOR_RULES,
  type Problem,
} from '../crds/index.js';
import { applyDefaults } from '../crds/schema/defaults.js';
import type { JsonSchemaProps } from '../crds/schema/builder.js';
import { celRules, type SchemaProblem, validateAgainstSchema } from './schema-validation.js';

export interface ManifestSource {
  /** File name as given on the command line, or "-" for stdin. */
  name: string;
  text: string;
}

export interface Finding {
  source: string;
  /** 1-based document number in the file; "3.items[0]" inside a v1 List. */
  doc: string;
  /** "Canary/podinfo", or what the document is when it has no usable kind and name. */
  object: string;
  /** Empty when the problem is the document as a whole. */
  field: string;
  message: string;
  severity: 'error' | 'note';
}

export interface CheckReport {
  findings: Finding[];
  /** Sluice objects checked. */
  checked: number;
  /** Documents that are not Sluice objects. */
  skipped: number;
}

interface SluiceKind {
  group: string;
  version: string;
  kind: string;
  schema: JsonSchemaProps;
  specProblems: (spec: unknown) => Problem[];
}

const OPERATOR_CHECKS: Readonly<Record<string, (spec: unknown) => Problem[]>> = {
  Canary: (spec) => canaryProblems(spec as CanarySpec),
  MeshRoute: (spec) => meshRouteProblems(spec as MeshRouteSpec),
  MetricTemplate: (spec) => metricTemplateProblems(spec as MetricTemplateSpec),
};

function sluiceKinds(crds: readonly CustomResourceDefinition[]): Map<string, SluiceKind> {
  const kinds = new Map<string, SluiceKind>();
  for (const crd of crds) {
    for (const version of crd.spec.versions) {
      kinds.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, {
        group: crd.spec.group,
        version: version.name,
        kind: crd.spec.names.kind,
        schema: version.schema.openAPIV3Schema,
        specProblems: OPERATOR_CHECKS[crd.spec.names.kind] ?? (() => []),
      });
    }
  }
  return kinds;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The API server validates custom resources' names as DNS-1123 subdomains. */
function metadataProblems(metadata: unknown): SchemaProblem[] {
  if (!isRecord(metadata)) return [{ field: 'metadata', message: 'required value is missing' }];
  const out: SchemaProblem[] = [];
  const { name, generateName, namespace } = metadata;
  if (name === undefined || name === null || name === '') {
    if (typeof generateName !== 'string' || generateName === '') out.push({ field: 'metadata.name', message: 'name or generateName is required' });
  } else if (typeof name !== 'string' || name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    out.push({
      field: 'metadata.name',
      message: `${JSON.stringify(name)} must be a DNS-1123 subdomain: at most 253 lowercase letters, digits, - and ., starting and ending with a letter or digit`,
    });
  }
  if (namespace !== undefined && namespace !== null && (typeof namespace !== 'string' || namespace.length > 63 || !DNS1123_LABEL.test(namespace))) {
    out.push({ field: 'metadata.namespace', message: `${JSON.stringify(namespace)} must be a DNS-1123 label: at most 63 lowercase letters, digits and -` });
  }
  return out;
}

function describeObject(doc: Record<string, unknown>): string {
  const kind = typeof doc.kind === 'string' ? doc.kind : '(no kind)';
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? `${metadata.generateName}*` : '(no name)';
  return `${kind}/${name}`;
}

class Checker {
  readonly findings: Finding[] = [];
  checked = 0;
  skipped = 0;

  constructor(private readonly kinds: Map<string, SluiceKind>) {}

  document(source: string, doc: string, value: unknown): void {
    const add = (object: string, field: string, message: string, severity: Finding['severity'] = 'error'): void => {
      this.findings.push({ source, doc, object, field, message, severity });
    };
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing ---
    if (!isRecord(value)) return add('(document)', '', `not a Kubernetes object but a ${Array.isArray(value) ? 'list' : typeof value}`);
    const object = describeObject(value);
    const { apiVersion, kind } = value;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      return add(object, typeof apiVersion !== 'string' ? 'apiVersion' : 'kind', 'required value is missing');
    }
    if (apiVersion === 'v1' && kind === 'List' && Array.isArray(value.items)) {
      value.items.forEach((item, i) => this.document(source, `${doc}.items[${i}]`, item));
      return;
    }
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const known = [...this.kinds.values()].filter((k) => k.group === group);
    if (known.length === 0) {
      this.skipped++;
      return add(object, '', `skipped: ${apiVersion} ${kind} is not a Sluice kind`, 'note');
    }
    const sluiceKind = this.kinds.get(`${group}/${version}/${kind}`);
    if (sluiceKind === undefined) {
      const versions = [...new Set(known.map((k) => `${k.group}/${k.version}`))];
      const kinds = [...new Set(known.map((k) => k.kind))];
      return add(
        object,
        kinds.includes(kind) ? 'apiVersion' : 'kind',
        kinds.includes(kind) ? `unknown version ${apiVersion}: served versions: ${versions.join(', ')}` : `unknown kind ${kind} in ${group}: known kinds: ${kinds.join(', ')}`,
      );
    }
    this.checked++;
    const { metadata: _metadata, ...rest } = value;
    const problems = [...metadataProblems(value.metadata), ...validateAgainstSchema(sluiceKind.schema, rest)];
    for (const p of problems) add(object, p.field, p.message);
    if (problems.length > 0 || !isRecord(value.spec)) return;
    // Only a well-shaped spec is safe to hand to the operator's checks, which rely on its type.
    const specSchema = sluiceKind.schema.properties?.spec;
    const spec = specSchema === undefined ? value.spec : applyDefaults(specSchema, value.spec);
    let operatorProblems: Problem[];
    try {
      operatorProblems = sluiceKind.specProblems(spec);
    } catch (err) {
      operatorProblems = [{ field: 'spec', message: `the operator's checks failed: ${err instanceof Error ? err.message : String(err)}` }];
    }
    for (const p of operatorProblems) add(object, p.field, p.message);
  }
}

export function checkManifests(sources: readonly ManifestSource[], crds: readonly CustomResourceDefinition[] = customResourceDefinitions()): CheckReport {
  const checker = new Checker(sluiceKinds(crds));
  for (const source of sources) {
    parseAllDocuments(source.text).forEach((doc, i) => {
      const number = String(i + 1);
      if (doc.errors.length > 0) {
        for (const e of doc.errors) {
          checker.findings.push({ source: source.name, doc: number, object: '(yaml)', field: '', message: (e.message.split('\n')[0] ?? e.message).replace(/:$/, ''), severity: 'error' });
        }
        return;
      }
      checker.document(source.name, number, doc.toJS({ maxAliasCount: 100 }));
    });
  }
  return { findings: checker.findings, checked: checker.checked, skipped: checker.skipped };
}

/** `file:doc: kind/name: field: message`. */
export function formatFinding(f: Finding): string {
  return `${f.source}:${f.doc}: ${f.object}: ${f.field === '' ? '' : `${f.field}: `}${f.message}`;
}

export function errorCount(report: CheckReport): number {
  return report.findings.filter((f) => f.severity === 'error').length;
}

/** Rules `check` cannot decide offline: the CRDs' CEL rules and the operator's rules about other objects. */
export function serverOnlyRules(crds: readonly CustomResourceDefinition[] = customResourceDefinitions()): string[] {
  const cel = crds.flatMap((crd) =>
    crd.spec.versions.flatMap((v) => celRules(v.schema.openAPIV3Schema).map((r) => `${crd.spec.names.kind} ${r.path}: ${r.message} [API server, CEL: ${r.rule}]`)),
  );
  const operator = OPERATOR_RULES.filter((r) => !r.pure).map((r) => `${r.kind}: ${r.rule} [operator, needs other objects]`);
  return [...cel, ...operator];
}

export function summaryLine(report: CheckReport, crds: readonly CustomResourceDefinition[] = customResourceDefinitions()): string {
  const errors = errorCount(report);
  const celCount = crds.reduce((n, crd) => n + crd.spec.versions.reduce((m, v) => m + celRules(v.schema.openAPIV3Schema).length, 0), 0);
  const objects = `${report.checked} Sluice object${report.checked === 1 ? '' : 's'} checked`;
  const skipped = report.skipped === 0 ? '' : `, ${report.skipped} other document${report.skipped === 1 ? '' : 's'} skipped`;
  return (
    `${objects}${skipped}: ${errors === 0 ? 'no problems' : `${errors} problem${errors === 1 ? '' : 's'}`}. ` +
    `Checked offline: the CRD schemas and the operator's own checks. ` +
    `Not checked offline: the ${celCount} CEL rules of the CRDs (run \`kubectl apply --dry-run=server -f FILE\`) ` +
    `and the operator's rules about other objects (\`kubectl sluice check --list-server-rules\` lists both).`
  );
}
