// Canary and MetricTemplate objects as the API server would return them (defaults applied).

import type { Canary, CanaryAnalysis, CanaryJudge, CanaryMetric, MetricTemplate } from '../../../crds/index.js';

export function canaryWith(metrics: CanaryMetric[], judge?: CanaryJudge, analysis: Partial<CanaryAnalysis> = {}): Pick<Canary, 'metadata' | 'spec'> {
  return {
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: { interval: '1m', threshold: 5, metrics, ...(judge ? { judge } : {}), ...analysis },
      progressDeadlineSeconds: 600,
      revertOnDeletion: true,
    },
  };
}

export function compareJudge(overrides: Partial<CanaryJudge> = {}): CanaryJudge {
  return { mode: 'compare', minRequests: 50, confidence: 0.95, maxRelativeDegradation: 0.1, ...overrides };
}

export function template(name: string, provider: MetricTemplate['spec']['provider'], query: string, namespace = 'test'): MetricTemplate {
  return { apiVersion: 'sluice.dev/v1alpha1', kind: 'MetricTemplate', metadata: { name, namespace }, spec: { provider, query } };
}
