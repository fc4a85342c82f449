// Renders docs/api-reference.md from the schemas, so the reference cannot drift from the
// CRDs: a unit test regenerates it and compares it with the committed file.

import { DNS1035_LABEL_PATTERN, DNS1123_SUBDOMAIN_PATTERN, HTTP_TOKEN_PATTERN } from './common.js';
import { type KindDefinition, KIND_DEFINITIONS } from './definitions.js';
import { DURATION_PATTERN } from './duration.js';
import { API_VERSION, CATEGORY } from './group.js';
import { OPERATOR_RULES } from './operator-checks.js';
import type { CelRule, JsonSchemaProps } from './schema/builder.js';

const NAMED_PATTERNS: Readonly<Record<string, string>> = {
  [DURATION_PATTERN]: 'duration',
  [DNS1035_LABEL_PATTERN]: 'DNS-1035 label',
  [DNS1123_SUBDOMAIN_PATTERN]: 'DNS-1123 subdomain',
  [HTTP_TOKEN_PATTERN]: 'HTTP token',
};

interface Row {
  path: string;
  type: string;
  required: boolean;
  constraints: string[];
  description: string;
}

interface RuleRow {
  path: string;
  rule: CelRule;
}

function typeName(s: JsonSchemaProps): string {
  if (s['x-kubernetes-int-or-string']) return 'int-or-string';
  if (s.enum !== undefined) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.pattern !== undefined && NAMED_PATTERNS[s.pattern] === 'duration') return 'duration';
  if (s.type === 'array' && s.items !== undefined) return `[]${typeName(s.items)}`;
  if (s.type === 'object' && s.additionalProperties !== undefined) return `map[string]${typeName(s.additionalProperties)}`;
  if (s.format === 'date-time') return 'timestamp';
  return s.type ?? 'any';
}

function constraints(s: JsonSchemaProps): string[] {
  const out: string[] = [];
  if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
  if (s.minimum !== undefined || s.maximum !== undefined) out.push(`${s.minimum ?? '…'}–${s.maximum ?? '…'}`);
  if (s.pattern !== undefined) {
    const named = NAMED_PATTERNS[s.pattern];
    if (named !== 'duration') out.push(named ?? `pattern ${code(s.pattern)}`);
  }
  if (s.minLength !== undefined && s.minLength > 0) out.push(`min length ${s.minLength}`);
  if (s.maxLength !== undefined && typeName(s) !== 'duration' && s.format !== 'date-time') out.push(`max length ${s.maxLength}`);
  if (s.minItems !== undefined) out.push(`min ${s.minItems} items`);
  if (s.maxItems !== undefined) out.push(`max ${s.maxItems} items`);
  if (s['x-kubernetes-list-map-keys'] !== undefined) out.push(`unique ${s['x-kubernetes-list-map-keys'].join('+')}`);
  if (s.maxProperties !== undefined) out.push(`max ${s.maxProperties} entries`);
  return out;
}

/** Flattens a schema into one row per field, and collects its CEL rules with their paths. */
function walk(s: JsonSchemaProps, path: string, required: boolean, rows: Row[], rules: RuleRow[]): void {
  if (path !== '') {
    rows.push({ path, type: typeName(s), required, constraints: constraints(s), description: s.description ?? '' });
  }
  for (const rule of s['x-kubernetes-validations'] ?? []) {
    rules.push({ path: rule.fieldPath === undefined ? path : `${path}${rule.fieldPath}`, rule });
  }
  const req = new Set(s.required ?? []);
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    walk(child, path === '' ? name : `${path}.${name}`, req.has(name), rows, rules);
  }
  if (s.items !== undefined) walkInner(s.items, `${path}[]`, rows, rules);
  if (s.additionalProperties !== undefined) walkInner(s.additionalProperties, `${path}.<name>`, rows, rules);
}

// Items of lists and values of maps: their own row would repeat the parent's, so only
// their fields and rules are listed.
function walkInner(s: JsonSchemaProps, path: string, rows: Row[], rules: RuleRow[]): void {
  for (const rule of s['x-kubernetes-validations'] ?? []) {
    rules.push({ path: rule.fieldPath === undefined ? path : `${path}${rule.fieldPath}`, rule });
  }
  const req = new Set(s.required ?? []);
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    walk(child, `${path}.${name}`, req.has(name), rows, rules);
  }
}

/** A code span that survives backticks inside (the HTTP token pattern has one). */
const code = (text: string): string => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
const html = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cell = (text: string): string => html(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function fieldTable(rows: Row[]): string[] {
  const out = ['| Field | Type | Required | Constraints | Description |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    out.push(
      `| \`${r.path}\` | ${cell(r.type)} | ${r.required ? 'yes' : ''} | ${cell(r.constraints.join(', '))} | ${cell(r.description)} |`,
    );
  }
  return out;
}

function kindSection(def: KindDefinition): string[] {
  const { meta } = def;
  const specRows: Row[] = [];
  const statusRows: Row[] = [];
  const rules: RuleRow[] = [];
  walk(def.spec.json, 'spec', true, specRows, rules);
  walk(def.status.json, 'status', false, statusRows, []);
  const out = [
    `## ${meta.kind}`,
    '',
    html(def.description),
    '',
    `\`apiVersion: ${API_VERSION}\`, \`kind: ${meta.kind}\`, plural \`${meta.plural}\`, short name${meta.shortNames.length > 1 ? 's' : ''} ${meta.shortNames.map((n) => `\`${n}\``).join(', ')}, category \`${CATEGORY}\`, namespaced, status subresource.`,
    '',
    '`kubectl get` columns (`-o wide` adds those marked wide):',
    '',
    ...def.printerColumns.map((c) => `- **${c.name}**${c.priority === 1 ? ' (wide)' : ''}: \`${c.jsonPath}\``),
    '',
    `### ${meta.kind} spec`,
    '',
    ...fieldTable(specRows),
    '',
    `### ${meta.kind} validation rules (CEL, enforced by the API server)`,
    '',
    ...rules.map((r) => `- ${code(r.path)}: ${html(r.rule.message)}. Rule: ${code(r.rule.rule)}`),
    '',
    `### ${meta.kind} status`,
    '',
    ...fieldTable(statusRows),
    '',
  ];
  return out;
}

export function renderApiReference(): string {
  const out: string[] = [
    '<!-- Generated by `npm run crds:generate` from crds/*.ts; do not edit by hand. -->',
    '',
    '# Sluice API reference',
    '',
    `All kinds are in \`${API_VERSION}\` and namespaced. \`kubectl get ${CATEGORY}\` lists them all.`,
    '',
    'Conventions:',
    '',
    '- **duration**: a Go duration string as in Flagger: `30s`, `1m30s`, `1.5h`, `250ms` (units ns, us, µs, ms, s, m, h; no sign). The operator parses it with `parseDuration` from `crds/duration.ts`, which accepts exactly what the API server accepts.',
    '- **Regular expressions** match the whole value. The API server checks that they are valid RE2; the operator also requires them to compile as JavaScript RegExps, which is how the proxy runs them. Keep to the syntax both share: character classes, groups, alternation, repetition, anchors, `\\d`, `\\w`, `\\s`.',
    '- **Defaults** are filled in by the API server, so stored objects always have them.',
    '- **Manual actions** (promote, abort, retry, pause, resume) are requested without editing the spec: set the annotation `sluice.dev/action` on the Canary to `<action>:<nonce>` (the CLI does this). The operator answers in `status.manualAction` with the same nonce and the state `Pending`, `Applied` or `Rejected`.',
    '',
    ...KIND_DEFINITIONS.flatMap(kindSection),
    '## Rules the operator checks',
    '',
    'CEL cannot express these (they need a JavaScript regex engine, the cron and time-zone databases, or other objects). The operator checks them on every reconcile and reports a violation in the status (Canary: `Stalled`; MeshRoute: `Accepted=False`) instead of acting on the object.',
    '',
    ...OPERATOR_RULES.map((r) => `- **${r.kind}**: ${html(r.rule)}`),
    '',
  ];
  return out.join('\n');
}
