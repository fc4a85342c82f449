// Prometheus metrics about the analysis itself: how checks turn out and how long providers take.

import { Counter, Histogram, type Registry } from 'prom-client';
import type { CheckVerdict } from './checks.js';

export class AnalysisMetrics {
  private readonly checks: Counter<'verdict'>;
  private readonly duration: Histogram<'verdict'>;

  constructor(registry: Registry) {
    this.checks = new Counter({
      name: 'sluice_analysis_checks_total',
      help: 'Metric checks evaluated, by verdict (pass, fail, inconclusive, error).',
      labelNames: ['verdict'] as const,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'sluice_analysis_check_duration_seconds',
      help: 'Time to evaluate one metric check, provider queries included, by verdict.',
      labelNames: ['verdict'] as const,
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  observe(verdict: CheckVerdict, seconds: number): void {
    this.checks.inc({ verdict });
    this.duration.observe({ verdict }, seconds);
  }
}
