// Canaries as the API server returns them, for the CLI's pure parts.
import type { Canary, CanaryStatus } from '../../../crds/index.js';

export const NOW = Date.parse('2026-11-21T10:00:00Z');

export const ago = (ms: number): string => new Date(NOW - ms).toISOString();

export function canary(status: CanaryStatus = {}, overrides: { name?: string; namespace?: string; annotations?: Record<string, string>; analysis?: Partial<Canary['spec']['analysis']> } = {}): Canary {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Canary',
    metadata: {
      name: overrides.name ?? 'podinfo',
      namespace: overrides.namespace ?? 'test',
      uid: 'uid-1',
      generation: 1,
      creationTimestamp: ago(3_600_000),
      ...(overrides.annotations === undefined ? {} : { annotations: overrides.annotations }),
    },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 50, ...overrides.analysis },
      progressDeadlineSeconds: 600,
      revertOnDeletion: true,
    },
    status,
  };
}
