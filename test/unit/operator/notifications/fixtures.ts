// A Canary and a Notification to feed the pure parts of operator/notifications.
import { API_VERSION, type Canary, type CanaryAlert, type CanaryStatus } from '../../../../crds/index.js';
import type { Notification } from '../../../../operator/notifications/notification.js';

export function canary(alerts: CanaryAlert[] = [], status: CanaryStatus = {}): Canary {
  return {
    apiVersion: API_VERSION,
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: { interval: '30s', threshold: 5, stepWeight: 10, maxWeight: 50, alerts },
      progressDeadlineSeconds: 600,
      revertOnDeletion: true,
    },
    status,
  };
}

/** A rollback of a revision that failed its success-rate check at 20% weight. */
export function rollbackNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: '6f1c2a40-9d7e-4c61-a0b5-3f2e8d1c7b90',
    name: 'podinfo',
    namespace: 'test',
    target: 'Deployment/podinfo',
    phase: 'Failed',
    reason: 'RolledBack',
    severity: 'error',
    message: 'Canary failed: request-success-rate 80.25 < 99',
    revision: '7d9f8c6b5a',
    image: 'ghcr.io/stefanprodan/podinfo:6.5.1',
    weight: 20,
    metric: 'request-success-rate',
    value: 80.25,
    threshold: { min: 99 },
    time: '2026-11-21T10:15:30.000Z',
    metadata: {},
    ...overrides,
  };
}
