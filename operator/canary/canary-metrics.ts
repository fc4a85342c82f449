// Operator metrics about rollouts, for dashboards and alerts outside Sluice.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CanaryPhase } from '../../crds/canary.js';

/** sluice_canary_status values, as Flagger's flagger_canary_status: 0 running, 1 succeeded, 2 failed. */
export function statusValue(phase: CanaryPhase | undefined): number {
  if (phase === 'Succeeded' || phase === 'Initialized') return 1;
  if (phase === 'Failed') return 2;
  return 0;
}

export class CanaryMetrics {
  readonly status: Gauge<'name' | 'namespace'>;
  readonly weight: Gauge<'name' | 'namespace'>;
  readonly duration: Histogram<'name' | 'namespace' | 'outcome'>;
  readonly analyses: Counter<'verdict'>;

  constructor(registry: Registry) {
    this.status = new Gauge({ name: 'sluice_canary_status', help: 'Rollout state: 0 running, 1 succeeded (or initialized), 2 failed.', labelNames: ['name', 'namespace'], registers: [registry] });
    this.weight = new Gauge({ name: 'sluice_canary_weight', help: 'Percentage of traffic the canary receives.', labelNames: ['name', 'namespace'], registers: [registry] });
    this.duration = new Histogram({
      name: 'sluice_canary_duration_seconds',
      help: 'Duration of whole rollouts, from the new revision to promotion or rollback.',
      labelNames: ['name', 'namespace', 'outcome'],
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
      registers: [registry],
    });
    this.analyses = new Counter({ name: 'sluice_canary_analysis_total', help: 'Analysis steps by verdict.', labelNames: ['verdict'], registers: [registry] });
  }

  /** Records what a reconcile changed; `before` and `after` are the phases around it. */
  observe(labels: { name: string; namespace: string }, before: CanaryPhase | undefined, after: CanaryPhase | undefined, weight: number, startedAt: string | undefined, now: Date): void {
    this.status.set(labels, statusValue(after));
    this.weight.set(labels, weight);
    const finished = (after === 'Succeeded' || after === 'Failed') && before !== after;
    const started = startedAt === undefined ? Number.NaN : Date.parse(startedAt);
    if (finished && Number.isFinite(started)) {
      this.duration.observe({ ...labels, outcome: after === 'Succeeded' ? 'promoted' : 'rolled-back' }, Math.max(0, (now.getTime() - started) / 1000));
    }
  }

  forget(labels: { name: string; namespace: string }): void {
    this.status.remove(labels);
    this.weight.remove(labels);
  }
}
