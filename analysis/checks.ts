// Turns a Canary's analysis.metrics into runnable checks: which provider each metric reads,
// what query it runs, which judge decides. The network calls happen in the providers; the
// decisions are the pure judges; this file only wires one to the other.
//
// Rules:
// - A metric without templateRef is a builtin metric (request-success-rate, request-duration)
//   read from the default provider: the live counters, or Prometheus when the operator has one.
// - judge.mode compare applies to the builtin metrics: canary against primary over the same
//   window. A thresholdRange on such a metric is checked as well; the worse verdict counts.
// - A metric with a templateRef is judged by its thresholdRange (a custom query has no primary
//   to compare with), whatever the mode.
// - A provider that fails gives an "error" result (counted as a failed check by the runner),
//   except "no data", which is an inconclusive result: no traffic is not a broken canary.
// - While the step sends the canary nothing but mirrored copies (a mirror step, blue/green
//   with mirroring), the builtin metrics judge the copies the canary answered: its served
//   requests are none. The primary still counts what it served clients, which are the very
//   requests that were copied. Templates see it as {{ mirrored }}.

import { formatDuration, parseDuration, type Canary, type CanaryMetric, type MetricTemplate, type BuiltinMetric, BUILTIN_METRICS } from '../crds/index.js';
import { BUILTIN_METRIC_QUERY, builtinUnit, evaluateBuiltin, isBuiltinQuery } from './builtin-metrics.js';
import { DEFAULT_JUDGE } from './judge-defaults.js';
import { compareErrorRates, compareLatency } from './judges/compare.js';
import { worstVerdict, type Judgement, type Verdict } from './judges/judgement.js';
import { judgeThreshold } from './judges/threshold.js';
import { MetricQueryError, type BackendTraffic, type MetricProvider, type QueryContext, type TrafficTick } from './providers/provider.js';
import { addHistograms } from './stats/histogram.js';
import { renderQuery, type TemplateModel } from './templates/render-query.js';

export type CheckVerdict = Verdict | 'error';

export interface CheckResult {
  metric: string;
  verdict: CheckVerdict;
  /** The canary's value of the metric, when one was measured. */
  value?: number;
  /** The primary's value (compare judge). */
  primaryValue?: number;
  values: Record<string, number>;
  reason: string;
}

export interface MetricCheck {
  readonly metric: string;
  /**
   * True for the one check that stays valid when evaluated every tick: the sequential
   * error-rate comparison on live counters. The operator may run these between analysis
   * intervals to fail a canary within seconds; all others run once per interval.
   */
  readonly continuous: boolean;
  evaluate(signal: AbortSignal): Promise<CheckResult>;
}

export interface CheckSources {
  /** Provider of the builtin metrics (the operator passes the proxies' live counters: they need no Prometheus and see a step from its first acknowledged second). */
  builtin: MetricProvider;
  /** The MetricTemplate a metric refers to (informer cache), undefined when it does not exist. */
  template(ref: { name: string; namespace: string }): MetricTemplate | undefined;
  /** A provider for a template (the operator resolves its secretRef into credentials). */
  providerFor(template: MetricTemplate): MetricProvider;
}

export interface AnalysisStep {
  canary: Pick<Canary, 'metadata' | 'spec'>;
  /** When every proxy acknowledged the current traffic step (epoch ms): windows start no earlier. */
  stepStartedAt?: number;
  /** The step sends the canary only mirrored copies: judge it on those. */
  mirrored?: boolean;
}

/** Backend (Service) names of a Canary: `<apex>-primary` and `<apex>-canary`. */
export function canaryBackends(canary: Pick<Canary, 'spec'>): { primary: string; canary: string } {
  const apex = canary.spec.service.name ?? canary.spec.targetRef.name;
  return { primary: `${apex}-primary`, canary: `${apex}-canary` };
}

export function templateModel(canary: Pick<Canary, 'metadata' | 'spec'>, metric: CanaryMetric, mirrored = false): TemplateModel {
  return {
    mirrored: mirrored ? 'true' : 'false',
    name: canary.metadata.name,
    namespace: canary.metadata.namespace ?? '',
    target: canary.spec.targetRef.name,
    service: canary.spec.service.name ?? canary.spec.targetRef.name,
    interval: metric.interval ?? canary.spec.analysis.interval,
    variables: metric.templateVariables ?? {},
  };
}

function isBuiltinMetric(name: string): name is BuiltinMetric {
  return (BUILTIN_METRICS as readonly string[]).includes(name);
}

function errorResult(metric: string, err: unknown): CheckResult {
  const message = err instanceof Error ? err.message : String(err);
  return { metric, verdict: 'error', values: {}, reason: `${metric}: ${message}` };
}

function fromJudgement(metric: string, j: Judgement, value?: number, primaryValue?: number): CheckResult {
  return { metric, verdict: j.verdict, values: j.values, reason: j.reason, value, primaryValue };
}

/** Several judgements of one metric: the worst verdict, with the reasons that led to it first. */
function combine(metric: string, judgements: Judgement[], value?: number, primaryValue?: number): CheckResult {
  const verdict = worstVerdict(judgements.map((j) => j.verdict));
  const ordered = [...judgements.filter((j) => j.verdict === verdict), ...judgements.filter((j) => j.verdict !== verdict)];
  return {
    metric,
    verdict,
    values: Object.assign({}, ...judgements.map((j) => j.values)) as Record<string, number>,
    reason: ordered.map((j) => j.reason).join('; '),
    value,
    primaryValue,
  };
}

function sumTicks(ticks: readonly TrafficTick[], backend: string): BackendTraffic | undefined {
  let total: BackendTraffic | undefined;
  for (const tick of ticks) {
    const t = tick.backends[backend];
    if (!t) continue;
    total = total
      ? { requests: total.requests + t.requests, errors: total.errors + t.errors, latency: addHistograms(total.latency, t.latency) }
      : t;
  }
  return total;
}

interface MetricSetting {
  metric: CanaryMetric;
  windowMs: number;
  window: string;
}

export function buildChecks(step: AnalysisStep, sources: CheckSources): MetricCheck[] {
  const { canary } = step;
  const analysis = canary.spec.analysis;
  const judge = analysis.judge ?? DEFAULT_JUDGE;
  const backends = canaryBackends(canary);
  const namespace = canary.metadata.namespace ?? '';

  const context = (setting: MetricSetting, signal: AbortSignal): QueryContext => ({
    namespace,
    windowMs: setting.windowMs,
    notBefore: step.stepStartedAt,
    signal,
    ...(step.mirrored ? { mirroredBackends: [backends.canary] } : {}),
  });

  const thresholdBuiltin = (metric: BuiltinMetric, setting: MetricSetting): MetricCheck => ({
    metric: setting.metric.name,
    continuous: false,
    async evaluate(signal) {
      const provider = sources.builtin;
      const query = BUILTIN_METRIC_QUERY[metric];
      const ctx = { ...context(setting, signal), backend: backends.canary };
      const [value, requests] = await Promise.all([
        provider.query(provider.builtinQuery(query, ctx), ctx).catch((err: unknown) => {
          if (err instanceof MetricQueryError && err.kind === 'no-data') return err;
          throw err;
        }),
        provider.requestCount(ctx),
      ]);
      const judgement = judgeThreshold({
        metric: setting.metric.name,
        value: typeof value === 'number' ? value : undefined,
        noDataReason: typeof value === 'number' ? undefined : value.message.replace(/^no data: /, ''),
        unit: builtinUnit(query),
        thresholdRange: setting.metric.thresholdRange ?? {},
        requests,
        minRequests: judge.minRequests,
        window: setting.window,
        mirrored: step.mirrored,
      });
      return fromJudgement(setting.metric.name, judgement, typeof value === 'number' ? value : undefined);
    },
  });

  const compareBuiltin = (metric: BuiltinMetric, setting: MetricSetting): MetricCheck => {
    // The sequential error-rate test on live counters accumulates evidence over the whole step,
    // which is what keeps it valid when evaluated every second.
    const sequential = metric === 'request-success-rate' && sources.builtin.type === 'builtin' && step.stepStartedAt !== undefined;
    return {
      metric: setting.metric.name,
      continuous: sequential,
      async evaluate(signal) {
        const ctx = { ...context(setting, signal), ...(sequential ? { since: step.stepStartedAt } : {}) };
        const ticks = await sources.builtin.traffic([backends.canary, backends.primary], ctx);
        const first = ticks[0];
        const last = ticks[ticks.length - 1];
        const spanMs = first && last ? last.to - first.from : setting.windowMs;
        const window = sequential ? formatDuration(Math.round(spanMs / 1000) * 1000) : setting.window;
        const settings = { confidence: judge.confidence, maxRelativeDegradation: judge.maxRelativeDegradation, minRequests: judge.minRequests, window };
        const canaryTotal = sumTicks(ticks, backends.canary);
        const primaryTotal = sumTicks(ticks, backends.primary);
        const query = BUILTIN_METRIC_QUERY[metric];
        const canaryValue = canaryTotal ? evaluateBuiltin(query, canaryTotal, spanMs) : undefined;
        const primaryValue = primaryTotal ? evaluateBuiltin(query, primaryTotal, spanMs) : undefined;
        const judgements: Judgement[] = [];
        if (metric === 'request-success-rate') {
          const counts = (t: TrafficTick, backend: string) => ({ requests: t.backends[backend]?.requests ?? 0, errors: t.backends[backend]?.errors ?? 0 });
          const pairs = ticks.map((t) => ({ canary: counts(t, backends.canary), primary: counts(t, backends.primary) }));
          judgements.push(compareErrorRates(pairs, settings, setting.metric.name));
        } else {
          const empty = { upperBoundsMs: [], counts: [0] };
          judgements.push(compareLatency(canaryTotal?.latency ?? empty, primaryTotal?.latency ?? empty, settings, setting.metric.name));
        }
        if (setting.metric.thresholdRange) {
          judgements.push(
            judgeThreshold({
              metric: setting.metric.name,
              value: canaryValue,
              unit: builtinUnit(query),
              thresholdRange: setting.metric.thresholdRange,
              requests: canaryTotal?.requests ?? 0,
              minRequests: judge.minRequests,
              window,
              mirrored: step.mirrored,
            }),
          );
        }
        return combine(setting.metric.name, judgements, canaryValue, primaryValue);
      },
    };
  };

  const templated = (setting: MetricSetting, ref: { name: string; namespace?: string }): MetricCheck => ({
    metric: setting.metric.name,
    continuous: false,
    async evaluate(signal) {
      const refNamespace = ref.namespace ?? namespace;
      const template = sources.template({ name: ref.name, namespace: refNamespace });
      if (!template) return errorResult(setting.metric.name, new Error(`MetricTemplate ${refNamespace}/${ref.name} not found`));
      const provider = sources.providerFor(template);
      const query = provider.type === 'builtin' ? template.spec.query : renderQuery(template.spec.query, templateModel(canary, setting.metric, step.mirrored));
      const ctx = { ...context(setting, signal), backend: backends.canary };
      let value: number | undefined;
      let noDataReason: string | undefined;
      try {
        value = await provider.query(query, ctx);
      } catch (err) {
        if (!(err instanceof MetricQueryError && err.kind === 'no-data')) throw err;
        noDataReason = err.message.replace(/^no data: /, '');
      }
      // Request counts exist for the live counters only; a PromQL query's traffic is unknown.
      const requests = provider.type === 'builtin' ? await provider.requestCount(ctx) : undefined;
      const builtinName = template.spec.query.trim();
      const judgement = judgeThreshold({
        metric: setting.metric.name,
        value,
        noDataReason,
        unit: provider.type === 'builtin' && isBuiltinQuery(builtinName) ? builtinUnit(builtinName) : 'none',
        thresholdRange: setting.metric.thresholdRange ?? {},
        requests,
        minRequests: requests === undefined ? undefined : judge.minRequests,
        window: setting.window,
        mirrored: provider.type === 'builtin' && step.mirrored,
      });
      return fromJudgement(setting.metric.name, judgement, value);
    },
  });

  return (analysis.metrics ?? []).map((metric): MetricCheck => {
    const window = metric.interval ?? analysis.interval;
    const setting: MetricSetting = { metric, window, windowMs: parseDuration(window) };
    let check: MetricCheck;
    if (metric.templateRef) check = templated(setting, metric.templateRef);
    else if (!isBuiltinMetric(metric.name)) {
      const name = metric.name;
      check = { metric: name, continuous: false, evaluate: async () => errorResult(name, new Error(`not a builtin metric (${BUILTIN_METRICS.join(', ')}) and no templateRef`)) };
    } else if (judge.mode === 'compare') check = compareBuiltin(metric.name, setting);
    else check = thresholdBuiltin(metric.name, setting);
    // Whatever a check throws (template errors, provider failures) becomes its error result.
    return {
      metric: check.metric,
      continuous: check.continuous,
      evaluate: (signal) => check.evaluate(signal).catch((err: unknown) => errorResult(check.metric, err)),
    };
  });
}
