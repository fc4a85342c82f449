import { buildNotification } from '../../../../operator/notifications/notification.js';
import { canary } from './fixtures.js';

const at = { now: new Date('2026-11-21T10:15:30Z'), id: 'id-1' };

describe('buildNotification', () => {
  const failing = canary([], {
    phase: 'Progressing',
    canaryWeight: 20,
    lastAppliedSpec: '7d9f8c6b5a',
    analysisResults: [
      { metric: 'request-duration', value: 120, thresholdRange: { max: 500 }, verdict: 'Passed', time: '2026-11-21T10:15:00Z' },
      { metric: 'request-success-rate', value: 80.25, primaryValue: 99.9, thresholdRange: { min: 99 }, verdict: 'Failed', time: '2026-11-21T10:15:00Z' },
    ],
  });

  it('takes phase, weight and revision from the status, and the failing metric for a warning', () => {
    const n = buildNotification(failing, { reason: 'AnalysisFailed', severity: 'warn', message: 'check failed', details: { image: 'podinfo:6.5.1' } }, at);
    expect(n).toEqual({
      id: 'id-1',
      name: 'podinfo',
      namespace: 'test',
      target: 'Deployment/podinfo',
      phase: 'Progressing',
      reason: 'AnalysisFailed',
      severity: 'warn',
      message: 'check failed',
      revision: '7d9f8c6b5a',
      image: 'podinfo:6.5.1',
      weight: 20,
      metric: 'request-success-rate',
      value: 80.25,
      primaryValue: 99.9,
      threshold: { min: 99 },
      time: '2026-11-21T10:15:30.000Z',
      metadata: {},
    });
  });

  it('lets details override the status', () => {
    const n = buildNotification(
      failing,
      {
        reason: 'RolledBack',
        severity: 'error',
        message: 'rolled back',
        details: { phase: 'Failed', weight: 0, revision: 'abc', metric: 'latency', value: 3, threshold: { max: 1 }, metadata: { checks: '5' } },
      },
      at,
    );
    expect(n).toMatchObject({ phase: 'Failed', weight: 0, revision: 'abc', metric: 'latency', value: 3, threshold: { max: 1 }, metadata: { checks: '5' } });
    // The status' primaryValue belongs to another metric: it must not leak in.
    expect(n).not.toHaveProperty('primaryValue');
  });

  it('keeps an id the event brings', () => {
    expect(buildNotification(failing, { id: 'uid-1/7d9f8c6b5a/Promoted', reason: 'Promoted', severity: 'info', message: 'ok' }, at).id).toBe(
      'uid-1/7d9f8c6b5a/Promoted',
    );
  });

  it('does not attach an old failed check to an info event, and leaves unknown facts out', () => {
    const n = buildNotification(failing, { reason: 'Promoted', severity: 'info', message: 'promoted' }, at);
    expect(n).not.toHaveProperty('metric');
    expect(n).not.toHaveProperty('image');
    const bare = buildNotification(canary(), { reason: 'Initialized', severity: 'info', message: 'ready' }, at);
    expect(Object.keys(bare).sort()).toEqual(['id', 'message', 'metadata', 'name', 'namespace', 'reason', 'severity', 'target', 'time']);
  });
});
