// The MetricTemplate kind: a reusable query against a metrics provider, referenced from
// Canary.spec.analysis.metrics[].templateRef. Same shape as Flagger's, with two providers:
// Prometheus, and the proxies' own live counters ("builtin", no Prometheus needed).

import { conditions, httpUrl, secretRef } from './common.js';
import { kindMeta, type Resource } from './group.js';
import { type Static, boolean, enumOf, integer, object, optional, string } from './schema/builder.js';

export const METRIC_TEMPLATE = kindMeta({
  kind: 'MetricTemplate',
  listKind: 'MetricTemplateList',
  plural: 'metrictemplates',
  singular: 'metrictemplate',
  shortNames: ['mt'],
});

export const METRIC_PROVIDER_TYPES = ['prometheus', 'builtin'] as const;
export type MetricProviderType = (typeof METRIC_PROVIDER_TYPES)[number];

/**
 * Metrics a Canary may use by name without a MetricTemplate, as in Flagger:
 * request-success-rate (percentage of non-5xx responses, judge with thresholdRange.min) and
 * request-duration (99th percentile latency in milliseconds, judge with thresholdRange.max).
 * They come from the proxies' live counters, or from Prometheus when the operator is given one.
 */
export const BUILTIN_METRICS = ['request-success-rate', 'request-duration'] as const;
export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];

/**
 * Queries a `builtin` MetricTemplate may run against the proxies' live counters of the
 * canary (rates per second, percentages 0-100, durations in milliseconds).
 */
export const BUILTIN_QUERIES = [
  'request-success-rate',
  'request-error-rate',
  'request-rate',
  'request-duration-p50',
  'request-duration-p90',
  'request-duration-p95',
  'request-duration-p99',
] as const;
export type BuiltinQuery = (typeof BUILTIN_QUERIES)[number];

/**
 * Variables a query may use: Flagger's ({{ name }}, {{ namespace }}, ...) and Sluice's own
 * {{ mirrored }} ("true" while the step sends the canary only mirrored copies).
 */
export const METRIC_TEMPLATE_VARIABLES = ['name', 'namespace', 'target', 'service', 'interval', 'mirrored', 'variables'] as const;

export const metricTemplateSpec = object(
  {
    provider: object(
      {
        type: enumOf(METRIC_PROVIDER_TYPES, {
          description: "prometheus: PromQL over Prometheus' HTTP API. builtin: the proxies' live counters.",
        }),
        address: optional(httpUrl({ description: "Prometheus' base URL; defaults to the operator's configured Prometheus." })),
        secretRef: optional(
          secretRef('Secret with credentials: key token (bearer token), or keys username and password (basic auth).'),
        ),
        insecureSkipVerify: optional(boolean({ description: "Skip verification of Prometheus' TLS certificate." })),
        timeout: optional(integer({ description: 'Query timeout in seconds. Default: 10.', minimum: 1, maximum: 300, format: 'int32' })),
      },
      {
        description: 'Where the query runs.',
        validations: [
          {
            rule: "self.type != 'builtin' || !(has(self.address) || has(self.secretRef) || has(self.insecureSkipVerify))",
            message: 'the builtin provider takes no address, secretRef or insecureSkipVerify',
            fieldPath: '.type',
          },
        ],
      },
    ),
    query: string({
      description:
        'The query, a template with Flagger variables: {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ interval }}, {{ variables.NAME }}, and {{ mirrored }} ("true" while the step sends the canary only mirrored copies, for mirrored="{{ mirrored }}" on the proxies\' metrics). For the builtin provider, one of: ' +
        BUILTIN_QUERIES.join(', ') +
        '.',
      minLength: 1,
      maxLength: 8192,
    }),
  },
  {
    description: 'A query that returns one number for a canary.',
    validations: [
      {
        rule: `self.provider.type != 'builtin' || self.query in [${BUILTIN_QUERIES.map((q) => `'${q}'`).join(', ')}]`,
        message: `the builtin provider supports the queries ${BUILTIN_QUERIES.join(', ')}`,
        messageExpression: `'the builtin provider supports the queries ${BUILTIN_QUERIES.join(', ')}; got ' + self.query`,
        fieldPath: '.query',
      },
    ],
  },
);

export const metricTemplateStatus = object({
  observedGeneration: optional(integer({ description: 'The .metadata.generation this status describes.', minimum: 0, format: 'int64' })),
  conditions: optional(conditions('Ready: the query parses and its provider is reachable.')),
});

export type MetricTemplateSpec = Static<typeof metricTemplateSpec>;
export type MetricTemplateStatus = Static<typeof metricTemplateStatus>;
export type MetricProvider = MetricTemplateSpec['provider'];
export type MetricTemplate = Resource<'MetricTemplate', MetricTemplateSpec, MetricTemplateStatus>;
