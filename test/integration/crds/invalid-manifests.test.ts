// The API server itself rejects bad input, and says which field is wrong: each case below
// breaks one thing in an otherwise valid manifest and expects a 422 whose causes blame
// that field. The valid bases are checked first, so a rejection is due to the change alone.

import type { KubeConfig } from '@kubernetes/client-node';
import { deleteNamespace, kubeConfig, newNamespace } from '../../harness/index.js';
import { asRejection, createObject, ensureCrds, type Manifest } from './support.js';

type Json = Record<string, unknown>;

const canary = (spec: Json = {}, analysis: Json = {}): Manifest => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Canary',
  metadata: { name: 'podinfo' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898 },
    analysis: {
      interval: '1m',
      threshold: 5,
      maxWeight: 50,
      stepWeight: 10,
      metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
      ...analysis,
    },
    ...spec,
  },
});

/** A/B testing base: iterations with a header match. */
const abCanary = (match: unknown, analysis: Json = {}): Manifest =>
  canary({}, { stepWeight: undefined, maxWeight: undefined, iterations: 10, match, ...analysis });

const meshRoute = (rules: unknown = undefined, spec: Json = {}): Manifest => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'MeshRoute',
  metadata: { name: 'podinfo' },
  spec: {
    service: 'podinfo',
    port: 9898,
    rules: rules ?? [
      {
        name: 'default',
        backends: [
          { service: 'podinfo-primary', port: 9898, weight: 90 },
          { service: 'podinfo-canary', port: 9898, weight: 10 },
        ],
      },
    ],
    ...spec,
  },
});

const rule = (overrides: Json): Json => ({ name: 'r', backends: [{ service: 'podinfo-primary', port: 9898 }], ...overrides });

const metricTemplate = (spec: Json = {}): Manifest => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'MetricTemplate',
  metadata: { name: 'errors' },
  spec: { provider: { type: 'prometheus', address: 'http://prometheus.monitoring:9090' }, query: 'sum(rate(x[{{ interval }}]))', ...spec },
});

const alertProvider = (spec: Json = {}): Manifest => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'AlertProvider',
  metadata: { name: 'slack' },
  spec: { type: 'slack', channel: 'deploys', secretRef: { name: 'slack-url' }, ...spec },
});

/** JSON drops undefined: lets a case remove a field of the base by setting it undefined. */
const clean = (m: Manifest): Manifest => JSON.parse(JSON.stringify(m)) as Manifest;

interface Case {
  name: string;
  manifest: Manifest;
  /** The field the API server must blame (exact field of one cause). */
  field: string;
  /** Text the message of that cause must contain. */
  message: string | RegExp;
}

const asPattern = (m: string | RegExp): RegExp => (typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);

const wideCookie = { cookieName: 'canary', primaryCookieName: 'canary' };
const longName = 'a'.repeat(60);

const cases: Case[] = [
  // Canary: types, required fields, enums, ranges.
  { name: 'missing targetRef', manifest: canary({ targetRef: undefined }), field: 'spec.targetRef', message: 'Required value' },
  { name: 'target kind not Deployment', manifest: canary({ targetRef: { kind: 'StatefulSet', name: 'podinfo' } }), field: 'spec.targetRef.kind', message: 'Unsupported value' },
  { name: 'service port of the wrong type', manifest: canary({ service: { port: 'http' } }), field: 'spec.service.port', message: 'must be of type integer' },
  { name: 'service port out of range', manifest: canary({ service: { port: 70000 } }), field: 'spec.service.port', message: 'less than or equal to 65535' },
  { name: 'service port missing', manifest: canary({ service: { portName: 'http' } }), field: 'spec.service.port', message: 'Required value' },
  { name: 'targetPort name not an IANA service name', manifest: canary({ service: { port: 80, targetPort: 'HTTP_PORT' } }), field: 'spec.service.targetPort', message: 'IANA service name' },
  { name: 'apex Service name not a DNS label', manifest: canary({ service: { port: 80, name: 'PodInfo' } }), field: 'spec.service.name', message: 'should match' },
  { name: 'target name too long to name the Services', manifest: canary({ targetRef: { kind: 'Deployment', name: longName } }), field: 'spec.targetRef.name', message: 'DNS-1035 label of at most 55' },
  { name: 'progressDeadlineSeconds as a duration string', manifest: canary({ progressDeadlineSeconds: '10m' }), field: 'spec.progressDeadlineSeconds', message: 'must be of type integer' },
  { name: 'unknown retryOn condition', manifest: canary({ service: { port: 80, retries: { attempts: 2, retryOn: '5xx,sometimes' } } }), field: 'spec.service.retries.retryOn', message: 'should match' },
  { name: 'invalid label key on the apex Service', manifest: canary({ service: { port: 80, apex: { labels: { 'bad key!': 'x' } } } }), field: 'spec.service.apex.labels', message: 'label keys must be qualified names' },
  { name: 'header name with a space in request rewrites', manifest: canary({ service: { port: 80, headers: { request: { set: { 'x bad': '1' } } } } }), field: 'spec.service.headers.request.set', message: 'header names must be HTTP tokens' },

  // Canary: durations.
  { name: 'malformed interval', manifest: canary({}, { interval: '1 minute' }), field: 'spec.analysis.interval', message: 'should match' },
  { name: 'interval below 5s', manifest: canary({}, { interval: '2s' }), field: 'spec.analysis.interval', message: 'must be at least 5s, got 2s' },
  { name: 'negative webhook timeout', manifest: canary({}, { webhooks: [{ name: 'w', url: 'http://hook', timeout: '-5s' }] }), field: 'spec.analysis.webhooks[0].timeout', message: 'should match' },

  // Canary: traffic modes.
  { name: 'stepWeight above maxWeight', manifest: canary({}, { stepWeight: 60, maxWeight: 50 }), field: 'spec.analysis.stepWeight', message: 'stepWeight must not exceed maxWeight' },
  { name: 'stepWeight and stepWeights together', manifest: canary({}, { stepWeights: [10, 20] }), field: 'spec.analysis.stepWeights', message: 'mutually exclusive' },
  { name: 'no traffic mode at all', manifest: canary({}, { stepWeight: undefined }), field: 'spec.analysis.stepWeight', message: 'set stepWeight or stepWeights' },
  { name: 'stepWeights not increasing', manifest: canary({}, { stepWeight: undefined, maxWeight: undefined, stepWeights: [10, 30, 20] }), field: 'spec.analysis.stepWeights', message: 'strictly increasing' },
  { name: 'stepWeights above 100', manifest: canary({}, { stepWeight: undefined, maxWeight: undefined, stepWeights: [50, 120] }), field: 'spec.analysis.stepWeights[1]', message: 'less than or equal to 100' },
  { name: 'stepWeights above maxWeight', manifest: canary({}, { stepWeight: undefined, maxWeight: 40, stepWeights: [20, 60] }), field: 'spec.analysis.stepWeights', message: 'must not exceed maxWeight' },
  { name: 'iterations with stepWeight', manifest: canary({}, { iterations: 5 }), field: 'spec.analysis.iterations', message: 'cannot be combined with stepWeight' },
  { name: 'match without iterations', manifest: canary({}, { match: [{ headers: { 'x-canary': { exact: 'yes' } } }] }), field: 'spec.analysis.match', message: 'requires iterations' },
  { name: 'mirrorWeight without mirror', manifest: canary({}, { stepWeight: undefined, maxWeight: undefined, iterations: 5, mirrorWeight: 50 }), field: 'spec.analysis.mirrorWeight', message: 'requires mirror: true' },
  { name: 'mirror with A/B match', manifest: abCanary([{ headers: { 'x-canary': { exact: 'yes' } } }], { mirror: true }), field: 'spec.analysis.mirror', message: 'cannot be combined with match' },
  { name: 'session affinity with blue/green', manifest: canary({}, { stepWeight: undefined, maxWeight: undefined, iterations: 5, sessionAffinity: { cookieName: 'c' } }), field: 'spec.analysis.sessionAffinity', message: 'requires a weighted canary' },
  { name: 'equal session affinity cookie names', manifest: canary({}, { sessionAffinity: wideCookie }), field: 'spec.analysis.sessionAffinity.primaryCookieName', message: 'must differ from cookieName' },
  { name: 'threshold of zero', manifest: canary({}, { threshold: 0 }), field: 'spec.analysis.threshold', message: 'greater than or equal to 1' },

  // Canary: A/B matches.
  { name: 'invalid regex in a header match', manifest: abCanary([{ headers: { 'user-agent': { regex: '(Firefox' } } }]), field: 'spec.analysis.match[0].headers[user-agent].regex', message: 'missing closing )' },
  { name: 'header match with exact and prefix', manifest: abCanary([{ headers: { 'x-canary': { exact: 'a', prefix: 'b' } } }]), field: 'spec.analysis.match[0].headers[x-canary]', message: 'exactly one of exact, prefix, suffix, regex or present' },
  { name: 'header match name with a space', manifest: abCanary([{ headers: { 'x canary': { exact: 'a' } } }]), field: 'spec.analysis.match[0].headers', message: 'Headers names must be HTTP tokens' },
  { name: 'empty match entry', manifest: abCanary([{}]), field: 'spec.analysis.match[0]', message: 'set at least one of headers' },
  { name: 'uri exact without leading slash', manifest: abCanary([{ uri: { exact: 'api' } }]), field: 'spec.analysis.match[0].uri.exact', message: 'must start with /' },
  { name: 'unknown method', manifest: abCanary([{ method: { exact: 'FETCH' } }]), field: 'spec.analysis.match[0].method.exact', message: 'Unsupported value' },

  // Canary: metrics, webhooks, alerts, judge, windows.
  { name: 'thresholdRange without bounds', manifest: canary({}, { metrics: [{ name: 'request-success-rate', thresholdRange: {} }] }), field: 'spec.analysis.metrics[0].thresholdRange', message: 'set min, max or both' },
  { name: 'thresholdRange min above max', manifest: canary({}, { metrics: [{ name: 'request-duration', thresholdRange: { min: 500, max: 100 } }] }), field: 'spec.analysis.metrics[0].thresholdRange.min', message: 'min must not exceed max' },
  { name: 'custom metric without templateRef', manifest: canary({}, { metrics: [{ name: 'error-rate', thresholdRange: { max: 1 } }] }), field: 'spec.analysis.metrics[0].templateRef', message: 'metric error-rate needs a templateRef' },
  { name: 'metric without thresholdRange in threshold mode', manifest: canary({}, { metrics: [{ name: 'request-success-rate' }] }), field: 'spec.analysis.metrics', message: 'needs a thresholdRange unless judge.mode is compare' },
  { name: 'duplicate metric names', manifest: canary({}, { metrics: [{ name: 'request-duration', thresholdRange: { max: 1 } }, { name: 'request-duration', thresholdRange: { max: 2 } }] }), field: 'spec.analysis.metrics[1]', message: 'Duplicate value' },
  { name: 'unknown webhook type', manifest: canary({}, { webhooks: [{ name: 'w', type: 'pre-deploy', url: 'http://hook' }] }), field: 'spec.analysis.webhooks[0].type', message: 'Unsupported value' },
  { name: 'webhook url not http', manifest: canary({}, { webhooks: [{ name: 'w', url: 'ftp://hook/x' }] }), field: 'spec.analysis.webhooks[0].url', message: 'absolute http or https URL' },
  { name: 'duplicate webhook names', manifest: canary({}, { webhooks: [{ name: 'w', url: 'http://a' }, { name: 'w', url: 'http://b' }] }), field: 'spec.analysis.webhooks[1]', message: 'Duplicate value' },
  { name: 'unknown alert severity', manifest: canary({}, { alerts: [{ name: 'a', severity: 'critical', providerRef: { name: 'slack' } }] }), field: 'spec.analysis.alerts[0].severity', message: 'Unsupported value' },
  { name: 'judge confidence above 1', manifest: canary({}, { judge: { mode: 'compare', confidence: 1.5 } }), field: 'spec.analysis.judge.confidence', message: 'less than or equal to 0.9999' },
  { name: 'cron schedule with two fields', manifest: canary({}, { windows: [{ schedule: '0 9', duration: '1h' }] }), field: 'spec.analysis.windows[0].schedule', message: 'must be a cron schedule with 5 or 6 fields' },
  { name: 'unknown cron macro', manifest: canary({}, { windows: [{ schedule: '@fortnightly', duration: '1h' }] }), field: 'spec.analysis.windows[0].schedule', message: 'got @fortnightly' },
  { name: 'window duration below a minute', manifest: canary({}, { windows: [{ schedule: '@daily', duration: '30s' }] }), field: 'spec.analysis.windows[0].duration', message: 'must be at least 1m and at most 168h' },
  { name: 'time zone with spaces', manifest: canary({}, { windows: [{ schedule: '@daily', duration: '1h', timeZone: 'Central European' }] }), field: 'spec.analysis.windows[0].timeZone', message: 'should match' },

  // MeshRoute.
  { name: 'MeshRoute without rules', manifest: meshRoute([]), field: 'spec.rules', message: 'should have at least 1 items' },
  { name: 'backend weight above 100000', manifest: meshRoute([rule({ backends: [{ service: 'podinfo-primary', port: 9898, weight: 200000 }] })]), field: 'spec.rules[0].backends[0].weight', message: 'less than or equal to 100000' },
  { name: 'all backend weights zero', manifest: meshRoute([rule({ backends: [{ service: 'podinfo-primary', port: 9898, weight: 0 }] })]), field: 'spec.rules[0].backends', message: 'needs a backend with weight > 0' },
  { name: 'no backends without a full abort', manifest: meshRoute([rule({ backends: undefined, faults: { abort: { percent: 50, httpStatus: 503 } } })]), field: 'spec.rules[0].backends', message: 'needs a backend with weight > 0' },
  { name: 'mirror percent above 100', manifest: meshRoute([rule({ mirror: { service: 'shadow', port: 80, percent: 150 } })]), field: 'spec.rules[0].mirror.percent', message: 'less than or equal to 100' },
  { name: 'invalid path regex', manifest: meshRoute([rule({ matches: [{ path: { regex: '/api/[a-z' } }] })]), field: 'spec.rules[0].matches[0].path.regex', message: 'missing closing ]' },
  { name: 'header match without an operator', manifest: meshRoute([rule({ matches: [{ headers: [{ name: 'x-canary' }] }] })]), field: 'spec.rules[0].matches[0].headers[0]', message: 'exactly one of exact, prefix, suffix, regex or present' },
  { name: 'abort status out of range', manifest: meshRoute([rule({ faults: { abort: { percent: 10, httpStatus: 700 } } })]), field: 'spec.rules[0].faults.abort.httpStatus', message: 'less than or equal to 599' },
  { name: 'empty faults', manifest: meshRoute([rule({ faults: {} })]), field: 'spec.rules[0].faults', message: 'set abort, delay or both' },
  { name: 'malformed fault delay', manifest: meshRoute([rule({ faults: { delay: { percent: 10, fixedDelay: '10x' } } })]), field: 'spec.rules[0].faults.delay.fixedDelay', message: 'should match' },
  { name: 'duplicate rule names', manifest: meshRoute([rule({}), rule({})]), field: 'spec.rules[1]', message: 'Duplicate value' },
  { name: 'unknown method in a MeshRoute', manifest: meshRoute([rule({ matches: [{ method: 'FETCH' }] })]), field: 'spec.rules[0].matches[0].method', message: 'Unsupported value' },
  { name: 'apex service missing', manifest: meshRoute(undefined, { service: undefined }), field: 'spec.service', message: 'Required value' },

  // MetricTemplate.
  { name: 'unknown metric provider', manifest: metricTemplate({ provider: { type: 'datadog' } }), field: 'spec.provider.type', message: 'Unsupported value' },
  { name: 'builtin provider with an address', manifest: metricTemplate({ provider: { type: 'builtin', address: 'http://prometheus:9090' }, query: 'request-rate' }), field: 'spec.provider.type', message: 'takes no address' },
  { name: 'unknown builtin query', manifest: metricTemplate({ provider: { type: 'builtin' }, query: 'cpu-usage' }), field: 'spec.query', message: 'got cpu-usage' },
  { name: 'Prometheus address not a URL', manifest: metricTemplate({ provider: { type: 'prometheus', address: 'prometheus:9090' } }), field: 'spec.provider.address', message: 'absolute http or https URL' },
  { name: 'empty query', manifest: metricTemplate({ query: '' }), field: 'spec.query', message: 'at least 1 chars long' },

  // AlertProvider.
  { name: 'alert provider without address or secretRef', manifest: alertProvider({ secretRef: undefined }), field: 'spec.address', message: 'set address, or secretRef' },
  { name: 'unknown alert provider type', manifest: alertProvider({ type: 'pagerduty' }), field: 'spec.type', message: 'Unsupported value' },
  { name: 'alert address not http', manifest: alertProvider({ address: 'ftp://hooks.example.com' }), field: 'spec.address', message: 'absolute http or https URL' },
];

describe('the API server rejects invalid Sluice objects, naming the field', () => {
  let kc: KubeConfig;
  let namespace: string;

  beforeAll(async () => {
    kc = kubeConfig();
    await ensureCrds(kc);
    namespace = await newNamespace('crds-invalid');
  });

  afterAll(async () => {
    await deleteNamespace(namespace);
  });

  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each([
    ['Canary', canary()],
    ['A/B Canary', abCanary([{ headers: { 'x-canary': { exact: 'yes' } } }])],
    ['MeshRoute', meshRoute()],
    ['MetricTemplate', metricTemplate()],
    ['AlertProvider', alertProvider()],
  ])('accepts the valid base %s', async (_kind, manifest) => {
    const base = clean(manifest);
    base.metadata.name = `base-${_kind.replace(/[^a-z]/gi, '').toLowerCase()}`;
    await expect(createObject(kc, namespace, base)).resolves.toMatchObject({ kind: base.kind });
  });

  it.each(cases.map((c) => [c.name, c] as const))('rejects %s', async (_name, c) => {
    let rejection;
    try {
      await createObject(kc, namespace, clean(c.manifest));
    } catch (err) {
      rejection = asRejection(err);
    }
    expect(rejection?.code).toBe(422);
    const blamed = rejection?.causes.filter((cause) => cause.field === c.field) ?? [];
    // On failure, show every cause so the mismatch is obvious.
    expect({ field: c.field, causes: blamed.length > 0 ? blamed : rejection?.causes }).toEqual({
      field: c.field,
      causes: expect.arrayContaining([expect.objectContaining({ field: c.field, message: expect.stringMatching(asPattern(c.message)) })]),
    });
  });
});
