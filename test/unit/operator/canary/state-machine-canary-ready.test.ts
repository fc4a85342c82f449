// A canary counts as ready only at the replicas it was asked to run: a target still scaled
// to zero (its template changed long ago, e.g. while a confirm-rollout gate was closed) is
// "rolled out" with zero of zero pods ready, and routing traffic to it would fail requests.
import type { CanarySpec } from '../../../../crds/canary.js';
import { decide, type CanaryObservations, type DeploymentObservation } from '../../../../operator/canary/state-machine.js';

const spec: CanarySpec = {
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
  service: { port: 9898 },
  analysis: { interval: '10s', threshold: 2, stepWeight: 20, maxWeight: 60 },
  progressDeadlineSeconds: 60,
  revertOnDeletion: true,
};
const deployment = (revision: string, replicas: number, ready: number): DeploymentObservation => ({ revision, replicas, readyReplicas: ready, rolledOut: true });

function decideWith(target: DeploymentObservation): ReturnType<typeof decide> {
  const observed: CanaryObservations = {
    deleting: false,
    window: { open: true },
    target,
    primary: { ...deployment('r1', 2, 2), revision: 'r1' },
    appliedRoute: { route: { kind: 'primary' }, since: '2026-11-21T09:59:00.000Z' },
  };
  return decide({
    spec,
    status: { phase: 'Succeeded', lastAppliedSpec: 'r1', lastPromotedSpec: 'r1', canaryWeight: 0 },
    generation: 1,
    now: new Date('2026-11-21T10:00:00Z'),
    observed,
  });
}

describe('a new rollout with the target at zero replicas', () => {
  it('scales the target up and keeps all traffic on the primary until it is ready', () => {
    const out = decideWith(deployment('r2', 0, 0));
    expect(out.kind).toBe('act');
    if (out.kind !== 'act') return;
    expect(out.actions).toContainEqual({ type: 'ScaleTarget', replicas: 2 });
    expect(out.actions).toContainEqual({ type: 'SetRoute', route: { kind: 'primary' } });
    expect(out.status.phase).toBe('Progressing');
    expect(out.status.message).toMatch(/waiting for the canary podinfo to be ready/);
  });

  it('takes the first step once the asked-for replicas are ready', () => {
    const out = decideWith(deployment('r2', 2, 2));
    expect(out.kind).toBe('act');
    if (out.kind !== 'act') return;
    expect(out.actions).toContainEqual({ type: 'SetRoute', route: { kind: 'weighted', canaryWeight: 20 } });
  });
});
