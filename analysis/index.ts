// Canary analysis: metric providers, templates, judges and the checks runner. The operator
// imports from here.

export { LiveWindowStore, latencyHistogram, type Tick, type WindowCounts } from './live-window.js';
export { MetricQueryError, type MetricProvider, type QueryContext, type BackendTraffic, type TrafficTick, type MetricQueryErrorKind } from './providers/provider.js';
export { PrometheusProvider, credentialsFromSecret, type PrometheusCredentials, type PrometheusProviderOptions } from './providers/prometheus.js';
export { BuiltinProvider, type BuiltinProviderOptions } from './providers/builtin.js';
export { providerForTemplate, type ProviderDefaults } from './providers/factory.js';
export { renderQuery, TemplateError, type TemplateModel } from './templates/render-query.js';
export { buildChecks, canaryBackends, templateModel, type AnalysisStep, type CheckResult, type CheckSources, type CheckVerdict, type MetricCheck } from './checks.js';
export { runChecks, aggregateStep, type RunChecksOptions, type StepOutcome, type StepVerdict } from './checks-runner.js';
export { AnalysisMetrics } from './analysis-metrics.js';
export { DEFAULT_JUDGE } from './judge-defaults.js';
export { toAnalysisResult } from './status.js';
export { judgeThreshold, type ThresholdJudgeInput } from './judges/threshold.js';
export { compareErrorRates, compareLatency, type CompareSettings, type LatencyCompareSettings } from './judges/compare.js';
export type { Judgement, Verdict } from './judges/judgement.js';
