import { Registry } from 'prom-client';
import { CanaryMetrics, statusValue } from '../../../../operator/canary/canary-metrics.js';

describe('canary metrics', () => {
  it('maps phases to Flagger-style status values', () => {
    expect([statusValue('Progressing'), statusValue('Succeeded'), statusValue('Initialized'), statusValue('Failed'), statusValue(undefined)]).toEqual([0, 1, 1, 2, 0]);
  });

  it('records weight, status and the duration of a finished rollout once', async () => {
    const registry = new Registry();
    const metrics = new CanaryMetrics(registry);
    const labels = { name: 'podinfo', namespace: 'test' };
    const now = new Date('2026-11-21T10:02:00Z');
    metrics.observe(labels, 'Progressing', 'Progressing', 40, '2026-11-21T10:00:00Z', now);
    metrics.observe(labels, 'Finalising', 'Succeeded', 0, '2026-11-21T10:00:00Z', now);
    metrics.observe(labels, 'Succeeded', 'Succeeded', 0, '2026-11-21T10:00:00Z', now);
    const text = await registry.metrics();
    expect(text).toContain('sluice_canary_status{name="podinfo",namespace="test"} 1');
    expect(text).toContain('sluice_canary_weight{name="podinfo",namespace="test"} 0');
    expect(text).toContain('sluice_canary_duration_seconds_count{name="podinfo",namespace="test",outcome="promoted"} 1');
    expect(text).toContain('sluice_canary_duration_seconds_sum{name="podinfo",namespace="test",outcome="promoted"} 120');
  });
});
