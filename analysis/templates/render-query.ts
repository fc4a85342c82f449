// Renders MetricTemplate queries the way Flagger does, so that Flagger templates work as they
// are. Flagger parses the query with Go's text/template and exposes the model as functions,
// so users write `{{ namespace }}`, `{{target}}`, `{{ variables.cluster }}` (no leading dot).
// We implement that subset of Go's syntax exactly, plus the parts of text/template that cost
// nothing and that real templates contain: whitespace trimming (`{{- x -}}`), comments
// (`{{/* ... */}}`) and string literals (`{{ "{{" }}` to write braces). Anything else is
// rejected with a message naming what is supported, rather than rendered wrong.

import { METRIC_TEMPLATE_VARIABLES } from '../../crds/index.js';

/** The values a query can refer to (Flagger's MetricTemplateModel). */
export interface TemplateModel {
  /** The Canary's name. */
  name: string;
  /** The Canary's namespace. */
  namespace: string;
  /** The target Deployment's name. */
  target: string;
  /** The apex Service's name (service.name, or the target's name). */
  service: string;
  /** The metric's interval as written in the Canary, e.g. "1m". */
  interval: string;
  /**
   * "true" while the step sends the canary nothing but mirrored copies, else "false": Sluice's
   * own, for queries on the proxies' `mirrored` label (`mirrored="{{ mirrored }}"`).
   */
  mirrored: 'true' | 'false';
  /** The metric's templateVariables. */
  variables: Readonly<Record<string, string>>;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

type ScalarVariable = Exclude<(typeof METRIC_TEMPLATE_VARIABLES)[number], 'variables'>;
const SCALARS: readonly ScalarVariable[] = METRIC_TEMPLATE_VARIABLES.filter((v): v is ScalarVariable => v !== 'variables');

const SUPPORTED = `${SCALARS.map((v) => `{{ ${v} }}`).join(', ')}, {{ variables.NAME }}`;

/** Flagger variables that have no meaning in Sluice (it brings its own mesh, no ingress objects). */
const FLAGGER_ONLY = new Set(['ingress', 'route']);

function isScalar(name: string): name is ScalarVariable {
  return (SCALARS as readonly string[]).includes(name);
}

/** Go's interpreted string literal: the escapes a template author would use. */
function unquote(literal: string, where: string): string {
  if (literal.startsWith('`')) {
    if (!literal.endsWith('`') || literal.length < 2) throw new TemplateError(`unterminated raw string in ${where}`);
    return literal.slice(1, -1);
  }
  try {
    const value: unknown = JSON.parse(literal);
    if (typeof value === 'string') return value;
  } catch {
    // fall through to the error below
  }
  throw new TemplateError(`invalid string literal ${literal} in ${where}`);
}

function evaluate(action: string, model: TemplateModel): string {
  const where = `{{ ${action} }}`;
  if (action.startsWith('"') || action.startsWith('`')) return unquote(action, where);
  if (isScalar(action)) return model[action];
  const variable = /^variables\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(action);
  if (variable) {
    const key = variable[1] as string;
    const value = model.variables[key];
    if (value === undefined) {
      const known = Object.keys(model.variables);
      throw new TemplateError(
        `${where}: the metric sets no templateVariables.${key}` + (known.length > 0 ? ` (it sets ${known.join(', ')})` : ' (it sets no templateVariables)'),
      );
    }
    return value;
  }
  if (FLAGGER_ONLY.has(action)) throw new TemplateError(`${where} is a Flagger variable that Sluice does not have; supported: ${SUPPORTED}`);
  const dotted = /^\.([A-Za-z_][A-Za-z0-9_.]*)$/.exec(action);
  if (dotted && (isScalar(dotted[1] as string) || (dotted[1] as string).startsWith('variables.'))) {
    throw new TemplateError(`${where}: write {{ ${dotted[1]} }} without the leading dot, as in Flagger`);
  }
  throw new TemplateError(`unsupported template action ${where}; supported: ${SUPPORTED}`);
}

/** Renders `template` with `model`, throwing a TemplateError that says what is wrong and where. */
export function renderQuery(template: string, model: TemplateModel): string {
  let out = '';
  let pos = 0;
  while (pos < template.length) {
    const open = template.indexOf('{{', pos);
    if (open === -1) {
      out += template.slice(pos);
      break;
    }
    let text = template.slice(pos, open);
    let inner = open + 2;
    // "{{- " trims the whitespace before the action (Go requires the space after the dash).
    if (/^- |^-[\t\r\n]/.test(template.slice(inner, inner + 2))) {
      text = text.replace(/\s+$/, '');
      inner += 1;
    }
    out += text;
    let close: number;
    if (template.slice(inner).trimStart().startsWith('/*')) {
      const end = template.indexOf('*/', inner);
      close = end === -1 ? -1 : template.indexOf('}}', end + 2);
    } else {
      close = findClose(template, inner);
    }
    if (close === -1) throw new TemplateError(`unclosed action starting at offset ${open}: ${JSON.stringify(template.slice(open, open + 30))}`);
    let body = template.slice(inner, close);
    let after = close + 2;
    // " -}}" trims the whitespace after the action.
    if (/[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -1);
      const rest = template.slice(after);
      after += rest.length - rest.replace(/^\s+/, '').length;
    }
    const action = body.trim();
    if (action.startsWith('/*')) {
      if (!action.endsWith('*/')) throw new TemplateError(`comment at offset ${open} must end with */ right before }}`);
    } else if (action === '') {
      throw new TemplateError(`empty action {{}} at offset ${open}`);
    } else {
      out += evaluate(action, model);
    }
    pos = after;
  }
  return out;
}

/** Index of the "}}" closing an action that starts at `from`, skipping "}}" inside string literals. */
function findClose(template: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < template.length; i++) {
    const ch = template[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === '`') quote = ch;
    else if (ch === '}' && template[i + 1] === '}') return i;
  }
  return -1;
}
