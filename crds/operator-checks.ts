// Rules the API server cannot enforce, because CEL cannot express them or because they
// involve other objects. The operator runs the pure checks below on every reconcile and
// reports a problem in status (Stalled / Accepted=False) instead of acting on the spec.
// OPERATOR_RULES lists all of them for the API reference, so code and docs stay together.

import { CronTime, validateCronExpression } from 'cron';
import type { CanarySpec } from './canary.js';
import type { StringMatch } from './common.js';
import type { MeshRouteSpec } from './meshroute.js';
import { METRIC_TEMPLATE_VARIABLES, type MetricTemplateSpec } from './metric-template.js';

/** A problem found in a spec, with the path of the offending field. */
export interface Problem {
  field: string;
  message: string;
}

export interface OperatorRule {
  kind: 'Canary' | 'MeshRoute' | 'MetricTemplate' | 'AlertProvider';
  rule: string;
  /** true: a pure check in this file; false: needs other objects, checked while reconciling. */
  pure: boolean;
}

export const OPERATOR_RULES: readonly OperatorRule[] = [
  {
    kind: 'Canary',
    rule: 'Regular expressions in analysis.match must also compile as JavaScript RegExps, and must not use RE2 syntax that JavaScript reads differently: POSIX classes such as [[:alpha:]] and the escapes \\A, \\z, \\Q...\\E, \\p, \\P, \\C. The API server only checks RE2 syntax.',
    pure: true,
  },
  { kind: 'Canary', rule: 'Window schedules must have values in range for each cron field (e.g. minute 0-59) and must fire at some time.', pure: true },
  { kind: 'Canary', rule: 'Window time zones must be known IANA time zones.', pure: true },
  { kind: 'Canary', rule: 'The target Deployment (and autoscaler, if any) must exist in the Canary\'s namespace.', pure: false },
  { kind: 'Canary', rule: 'Only one Canary may target a given Deployment.', pure: false },
  { kind: 'Canary', rule: 'The apex, <apex>-primary and <apex>-canary Services must not already belong to something else.', pure: false },
  { kind: 'Canary', rule: 'A named targetPort must be a port name in the target\'s pod template.', pure: false },
  { kind: 'Canary', rule: 'Every metric templateRef must name an existing MetricTemplate, and every {{ variables.NAME }} its query uses must be given in templateVariables.', pure: false },
  { kind: 'Canary', rule: 'Every alert providerRef must name an existing AlertProvider.', pure: false },
  { kind: 'MeshRoute', rule: 'Regular expressions in matches must also compile as JavaScript RegExps, without the RE2-only syntax listed for Canary.', pure: true },
  { kind: 'MeshRoute', rule: 'Only one MeshRoute may take over a given Service port; the apex Service and every backend and mirror Service must exist.', pure: false },
  { kind: 'MetricTemplate', rule: 'A query may only use the variables name, namespace, target, service, interval, mirrored and variables.NAME.', pure: true },
  { kind: 'MetricTemplate', rule: 'A prometheus query must be valid PromQL (checked when it first runs) and secretRef must name a Secret with key token, or keys username and password.', pure: false },
  { kind: 'AlertProvider', rule: 'secretRef must name a Secret with the key address holding an http(s) URL.', pure: false },
];

/**
 * Compiles a match regex the way the proxy applies it (proxy/snapshot.ts
 * compileAnchoredRegex): against the whole value, no flags. A unit test keeps the two equal.
 */
export function compileMatchRegex(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

// RE2 escapes that a JavaScript RegExp without the u flag silently reads as literal letters
// (\z is "z"), so the pattern would compile and match something else than the user meant.
const RE2_ONLY_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\([AzQEpPC])/;

/** Why a regex the API server accepted (valid RE2) cannot be used by the proxy, if so. */
export function regexProblem(field: string, pattern: string): Problem | undefined {
  if (/\[\[:[a-z]+:\]/.test(pattern)) {
    return { field, message: 'POSIX character classes like [[:alpha:]] are not supported; use e.g. [a-zA-Z]' };
  }
  const escape = RE2_ONLY_ESCAPE.exec(pattern);
  if (escape !== null) {
    return { field, message: `the RE2 escape \\${escape[1] ?? ''} means something else in JavaScript; rewrite it (e.g. $ instead of \\z)` };
  }
  try {
    compileMatchRegex(pattern);
    return undefined;
  } catch (err) {
    return { field, message: `not a valid JavaScript regular expression: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function stringMatchProblems(field: string, match: StringMatch): Problem[] {
  if (match.regex === undefined) return [];
  const problem = regexProblem(`${field}.regex`, match.regex);
  return problem === undefined ? [] : [problem];
}

function mapMatchProblems(field: string, matches: Record<string, StringMatch> | undefined): Problem[] {
  return Object.entries(matches ?? {}).flatMap(([name, m]) => stringMatchProblems(`${field}[${name}]`, m));
}

const SCHEDULE_REFERENCE_DATE = new Date(Date.UTC(2026, 0, 1));

/** Problems in a Canary spec the API server accepted. Empty when the spec is usable. */
export function canaryProblems(spec: CanarySpec): Problem[] {
  const problems: Problem[] = [];
  (spec.analysis.match ?? []).forEach((m, i) => {
    const at = `spec.analysis.match[${i}]`;
    problems.push(...mapMatchProblems(`${at}.headers`, m.headers));
    problems.push(...mapMatchProblems(`${at}.cookies`, m.cookies));
    problems.push(...mapMatchProblems(`${at}.queryParams`, m.queryParams));
    if (m.uri?.regex !== undefined) {
      const p = regexProblem(`${at}.uri.regex`, m.uri.regex);
      if (p !== undefined) problems.push(p);
    }
  });
  (spec.analysis.windows ?? []).forEach((w, i) => {
    const at = `spec.analysis.windows[${i}]`;
    const validity = validateCronExpression(w.schedule);
    if (!validity.valid) {
      const reason = validity.error instanceof Error ? validity.error.message : 'a value is out of range';
      problems.push({ field: `${at}.schedule`, message: `invalid cron schedule: ${reason}` });
      return;
    }
    let time: CronTime;
    try {
      time = new CronTime(w.schedule, w.timeZone);
    } catch (err) {
      problems.push({ field: `${at}.timeZone`, message: `unknown time zone ${w.timeZone}: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    try {
      // From a fixed date, not now, so that the check stays a pure function.
      time.getNextDateFrom(SCHEDULE_REFERENCE_DATE, w.timeZone);
    } catch {
      problems.push({ field: `${at}.schedule`, message: 'the schedule never fires' });
    }
  });
  return problems;
}

/** Problems in a MeshRoute spec the API server accepted. */
export function meshRouteProblems(spec: MeshRouteSpec): Problem[] {
  const problems: Problem[] = [];
  spec.rules.forEach((rule, r) => {
    (rule.matches ?? []).forEach((m, i) => {
      const at = `spec.rules[${r}].matches[${i}]`;
      if (m.path?.regex !== undefined) {
        const p = regexProblem(`${at}.path.regex`, m.path.regex);
        if (p !== undefined) problems.push(p);
      }
      for (const list of ['headers', 'cookies', 'queryParams'] as const) {
        (m[list] ?? []).forEach((named, j) => problems.push(...stringMatchProblems(`${at}.${list}[${j}]`, named)));
      }
    });
  });
  return problems;
}

const TEMPLATE_EXPRESSION = /\{\{\s*([^}]*?)\s*\}\}/g;
const VARIABLE_NAME = /^variables\.[A-Za-z_][A-Za-z0-9_]*$/;

/** Variables a query references: {{ name }}, {{ variables.threshold }}, ... */
export function templateVariablesUsed(query: string): string[] {
  return [...query.matchAll(TEMPLATE_EXPRESSION)].map((m) => m[1] ?? '');
}

/** Problems in a MetricTemplate spec the API server accepted. */
export function metricTemplateProblems(spec: MetricTemplateSpec): Problem[] {
  if (spec.provider.type === 'builtin') return [];
  const known = new Set<string>(METRIC_TEMPLATE_VARIABLES.filter((v) => v !== 'variables'));
  return templateVariablesUsed(spec.query)
    .filter((name) => !known.has(name) && !VARIABLE_NAME.test(name))
    .map((name) => ({
      field: 'spec.query',
      message: `unknown template variable {{ ${name} }}: use ${[...known].join(', ')} or variables.NAME`,
    }));
}
