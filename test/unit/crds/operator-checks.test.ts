// The checks the operator runs because CEL cannot: JavaScript regex compatibility, cron
// value ranges, time zones and MetricTemplate variables.

import type { CanarySpec } from '../../../crds/canary.js';
import type { MeshRouteSpec } from '../../../crds/meshroute.js';
import type { MetricTemplateSpec } from '../../../crds/metric-template.js';
import {
  canaryProblems,
  compileMatchRegex,
  meshRouteProblems,
  metricTemplateProblems,
  OPERATOR_RULES,
  templateVariablesUsed,
} from '../../../crds/operator-checks.js';
import { compileAnchoredRegex } from '../../../proxy/snapshot.js';

type Analysis = CanarySpec['analysis'];

function canary(analysis: Partial<Analysis>): CanarySpec {
  return {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898 },
    analysis: { interval: '1m', threshold: 5, iterations: 10, ...analysis },
    progressDeadlineSeconds: 600,
    revertOnDeletion: true,
  };
}

const headerRegex = (regex: string) => canary({ match: [{ headers: { 'user-agent': { regex } } }] });
const window = (schedule: string, timeZone = 'UTC') => canary({ windows: [{ schedule, duration: '1h', timeZone }] });

describe('canaryProblems', () => {
  it('finds nothing in a usable spec', () => {
    expect(
      canaryProblems(
        canary({
          match: [{ headers: { 'user-agent': { regex: '.*(Firefox|Chrome)/[0-9]+.*' } }, uri: { regex: '/api/v[12]/.*' } }],
          windows: [{ schedule: '0 9 * * mon-fri', duration: '7h', timeZone: 'Europe/Berlin' }, { schedule: '@weekends', duration: '2h', timeZone: 'UTC' }],
        }),
      ),
    ).toEqual([]);
  });

  it.each([
    ['(?i)firefox', /not a valid JavaScript regular expression/],
    ['(?P<name>x)', /not a valid JavaScript regular expression/],
    ['[[:alpha:]]+', /POSIX character classes/],
    ['foo\\z', /RE2 escape \\z/],
    ['\\Afoo', /RE2 escape \\A/],
    ['\\pL+', /RE2 escape \\p/],
  ])('refuses the RE2-only regex %j, naming the field', (regex, message) => {
    expect(canaryProblems(headerRegex(regex))).toEqual([
      { field: 'spec.analysis.match[0].headers[user-agent].regex', message: expect.stringMatching(message) },
    ]);
  });

  it('accepts an escaped backslash before a letter', () => {
    expect(canaryProblems(headerRegex('a\\\\z'))).toEqual([]);
  });

  it('checks uri, cookie and query regexes too', () => {
    const problems = canaryProblems(
      canary({ match: [{ uri: { regex: '[[:digit:]]' } }, { cookies: { c: { regex: '(?i)x' } }, queryParams: { q: { regex: '\\z' } } }] }),
    );
    expect(problems.map((p) => p.field)).toEqual([
      'spec.analysis.match[0].uri.regex',
      'spec.analysis.match[1].cookies[c].regex',
      'spec.analysis.match[1].queryParams[q].regex',
    ]);
  });

  it.each(['61 * * * *', '0 25 * * *', '0 0 32 * *', '0 0 * 13 *'])('refuses the out-of-range schedule %j', (schedule) => {
    expect(canaryProblems(window(schedule))).toEqual([{ field: 'spec.analysis.windows[0].schedule', message: expect.stringMatching(/invalid cron schedule/) }]);
  });

  it('refuses a schedule that never fires', () => {
    expect(canaryProblems(window('0 0 30 2 *'))).toEqual([{ field: 'spec.analysis.windows[0].schedule', message: 'the schedule never fires' }]);
  });

  it('refuses an unknown time zone', () => {
    expect(canaryProblems(window('@daily', 'Mars/Olympus'))).toEqual([
      { field: 'spec.analysis.windows[0].timeZone', message: expect.stringMatching(/unknown time zone Mars\/Olympus/) },
    ]);
  });
});

describe('meshRouteProblems', () => {
  const route = (matches: NonNullable<MeshRouteSpec['rules'][number]['matches']>): MeshRouteSpec => ({
    service: 'podinfo',
    port: 9898,
    rules: [{ name: 'r', matches, backends: [{ service: 'podinfo-primary', port: 9898, weight: 1 }] }],
  });

  it('names the offending regex in path, header, cookie and query matches', () => {
    const problems = meshRouteProblems(
      route([
        { path: { regex: '/x\\z' } },
        { headers: [{ name: 'a', exact: 'ok' }, { name: 'b', regex: '(?i)b' }], cookies: [{ name: 'c', regex: '[[:alpha:]]' }], queryParams: [{ name: 'q', regex: '.*' }] },
      ]),
    );
    expect(problems.map((p) => p.field)).toEqual(['spec.rules[0].matches[0].path.regex', 'spec.rules[0].matches[1].headers[1].regex', 'spec.rules[0].matches[1].cookies[0].regex']);
  });

  it('finds nothing in usable matches', () => {
    expect(meshRouteProblems(route([{ path: { prefix: '/api' }, headers: [{ name: 'x', regex: 'a|b' }] }]))).toEqual([]);
  });
});

describe('metricTemplateProblems', () => {
  const prometheus = (query: string): MetricTemplateSpec => ({ provider: { type: 'prometheus' }, query });

  it('lists the variables a query uses', () => {
    expect(templateVariablesUsed('rate(x{ns="{{ namespace }}",t="{{target}}"}[{{ interval }}]) > {{ variables.limit }}')).toEqual([
      'namespace',
      'target',
      'interval',
      'variables.limit',
    ]);
  });

  it('accepts Flagger variables and refuses unknown ones', () => {
    expect(metricTemplateProblems(prometheus('sum({{ name }}{{ namespace }}{{ target }}{{ service }}{{ interval }}{{ variables.x_1 }})'))).toEqual([]);
    expect(metricTemplateProblems(prometheus('sum(x{a="{{ canary }}", b="{{ variables }}"})'))).toEqual([
      { field: 'spec.query', message: expect.stringMatching(/unknown template variable \{\{ canary \}\}/) },
      { field: 'spec.query', message: expect.stringMatching(/unknown template variable \{\{ variables \}\}/) },
    ]);
  });

  it('does not look into builtin queries', () => {
    expect(metricTemplateProblems({ provider: { type: 'builtin' }, query: 'request-rate' })).toEqual([]);
  });
});

describe('compileMatchRegex', () => {
  it('compiles exactly as the proxy does', () => {
    for (const pattern of ['abc', 'a|b', '.*Firefox.*', '/api/v[0-9]+']) {
      const ours = compileMatchRegex(pattern);
      const proxy = compileAnchoredRegex(pattern);
      expect([ours.source, ours.flags]).toEqual([proxy.source, proxy.flags]);
    }
    expect(compileMatchRegex('a|b').test('xa')).toBe(false);
  });
});

describe('OPERATOR_RULES', () => {
  it('documents a rule for every kind', () => {
    expect(new Set(OPERATOR_RULES.map((r) => r.kind))).toEqual(new Set(['Canary', 'MeshRoute', 'MetricTemplate', 'AlertProvider']));
  });
});
