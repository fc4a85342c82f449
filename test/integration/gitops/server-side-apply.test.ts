// The GitOps fit, proven on real components: a GitOps controller (here: server-side apply under
// Argo CD's field manager, without force, as the API server sees any such tool) owns the
// user's Deployment and Canary; a real sluice-operator and a real sluice-proxy run the rollout.
// Re-applying Git in the middle of a rollout and after it conflicts with nothing, changes
// nothing, and neither restarts nor re-triggers a rollout, as long as Git follows the one rule:
// no spec.replicas on a Deployment that a Canary manages. The last tests show what happens
// when Git breaks that rule: a conflict without force, a tug-of-war with it.
import * as k8s from '@kubernetes/client-node';
import type { Canary, CanaryStatus } from '../../../crds/canary.js';
import { describeError, statusCodeOf } from '../../../operator/runtime/kube-errors.js';
import { waitFor } from '../../harness/index.js';
import { apps, CanaryTestEnv, config, custom } from '../operator/canary/support.js';
import { fieldPaths, managersOf } from './managed-fields.js';

/** The field manager Argo CD applies with; Flux's kustomize-controller behaves the same way. */
const GITOPS = 'argocd-controller';
/** The field managers of the Canary controller and of kubectl-sluice's manual actions. */
const OPERATOR = 'sluice-canary';
const CLI = 'kubectl-sluice';
const INTERVAL_MS = 5_000;

const objects = k8s.KubernetesObjectApi.makeApiClient(config);
// The operator and the waypoint proxy of the canary tests; no pod apps: nothing here needs
// traffic (the Canary has no metrics, so every analysis passes on the clock).
const env = new CanaryTestEnv('gitops', '127.18.255.3').hooks(async () => {
  await env.startMesh();
  // First sync: Git creates both objects.
  await gitApply(gitDeployment('v1'));
  await gitApply(gitCanary());
});

/** The Deployment as it is in Git: no spec.replicas, the one rule. */
function gitDeployment(version: string, replicas?: number): k8s.V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'podinfo', namespace: env.namespace, labels: { app: 'podinfo' } },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: { labels: { app: 'podinfo' } },
        spec: { containers: [{ name: 'app', image: `sluice.dev/demo-app:${version}`, ports: [{ name: 'http', containerPort: 8080 }], env: [{ name: 'VERSION', value: version }] }] },
      },
    },
  };
}

/** The Canary as it is in Git. No metrics: every analysis passes, the rollout runs on the clock. */
function gitCanary(): Canary {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: env.namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 80, targetPort: 8080 },
      analysis: { interval: `${INTERVAL_MS / 1000}s`, threshold: 2, stepWeight: 20, maxWeight: 60 },
      progressDeadlineSeconds: 60,
      revertOnDeletion: false,
    },
  };
}

/** What Argo CD or Flux does on every sync: server-side apply of Git's manifest under its own field manager. */
async function gitApply<T extends k8s.V1Deployment | Canary>(obj: T, options: { force?: boolean; dryRun?: boolean } = {}): Promise<T> {
  const applied = await objects.patch(obj as k8s.KubernetesObject, undefined, options.dryRun ? 'All' : undefined, GITOPS, options.force ?? false, k8s.PatchStrategy.ServerSideApply);
  return applied as unknown as T;
}

const readCanary = (): Promise<Canary> => env.readCanary();
const readTarget = (): Promise<k8s.V1Deployment> => apps.readNamespacedDeployment({ name: 'podinfo', namespace: env.namespace });

async function waitForCanary(what: string, test: (status: CanaryStatus) => boolean, timeoutMs = 60_000): Promise<Canary> {
  let last: Canary | undefined;
  await waitFor(
    what,
    async () => {
      last = await readCanary();
      return test(last.status ?? {});
    },
    { timeoutMs, intervalMs: 100, describe: () => `${JSON.stringify(last?.status, null, 1)}\n${env.operator?.tail(20) ?? ''}` },
  );
  return last as Canary;
}

async function setAction(action: string, nonce: string): Promise<void> {
  await custom.patchNamespacedCustomObject(
    { group: 'sluice.dev', version: 'v1alpha1', namespace: env.namespace, plural: 'canaries', name: 'podinfo', body: { metadata: { annotations: { 'sluice.dev/action': `${action}:${nonce}` } } }, fieldManager: CLI },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}

/** What the Canary's status looked like over a stretch of time, polled every 100 ms. */
interface Sample {
  at: string;
  resourceVersion: string;
  status: CanaryStatus;
}

interface Trace {
  stop(): Promise<Sample[]>;
}

function trace(): Trace {
  const seen: Sample[] = [];
  let running = true;
  const loop = (async () => {
    const deadline = Date.now() + 180_000;
    while (running && Date.now() < deadline) {
      const canary = await readCanary();
      seen.push({ at: new Date().toISOString(), resourceVersion: canary.metadata.resourceVersion ?? '', status: canary.status ?? {} });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

describe('GitOps: server-side apply of Git next to the operator', () => {
  let rolloutStartedAt: string | undefined;
  let revision: string | undefined;

  it('initializes, and the operator owns only spec.replicas of the target and finalizers and status of the Canary', async () => {
    await waitForCanary('the Canary to reach Initialized', (s) => s.phase === 'Initialized');
    await waitFor('the target to be scaled to zero', async () => (await readTarget()).spec?.replicas === 0, { timeoutMs: 30_000 });

    const target = await readTarget();
    const onTarget = managersOf(target, OPERATOR);
    expect(onTarget.map((m) => [m.operation, m.subresource ?? ''])).toEqual([['Update', '']]);
    expect(fieldPaths(onTarget)).toEqual(['spec.replicas']);
    // Git's manager still owns the template it applied, and not the replicas.
    const gitOnTarget = fieldPaths(managersOf(target, GITOPS));
    expect(gitOnTarget).toContain('spec.template.spec.containers[name=app].image');
    expect(gitOnTarget).not.toContain('spec.replicas');

    const canary = await readCanary();
    const byOperator = managersOf(canary as unknown as k8s.KubernetesObject, OPERATOR);
    expect(byOperator.map((m) => [m.operation, m.subresource ?? '']).sort()).toEqual([
      ['Update', ''],
      ['Update', 'status'],
    ]);
    expect(fieldPaths(byOperator.filter((m) => m.subresource !== 'status'))).toEqual(['metadata.finalizers', 'metadata.finalizers[="sluice.dev/canary"]']);
    expect(fieldPaths(byOperator.filter((m) => m.subresource === 'status')).every((p) => p.startsWith('status'))).toBe(true);
  });

  it('re-applies Git at rest: no conflict, no write, the operator\'s replicas stay', async () => {
    const target = await readTarget();
    const canary = await readCanary();
    const appliedTarget = await gitApply(gitDeployment('v1'));
    const appliedCanary = await gitApply(gitCanary());
    // A no-op apply does not even write: the resourceVersion is the one before.
    expect(appliedTarget.metadata?.resourceVersion).toBe(target.metadata?.resourceVersion);
    expect(appliedCanary.metadata?.resourceVersion).toBe(canary.metadata.resourceVersion);
    expect(appliedTarget.spec?.replicas).toBe(0);
    expect(appliedCanary.metadata?.finalizers).toEqual(['sluice.dev/canary']);
  });

  it('re-applies Git in the middle of a rollout (paused by a manual action): no conflict, no restart, the pause holds', async () => {
    const progress = trace();
    await gitApply(gitDeployment('v2'));
    const started = await waitForCanary('the rollout to reach 20%', (s) => s.phase === 'Progressing' && (s.canaryWeight ?? 0) >= 20);
    rolloutStartedAt = started.status?.rollout?.startedAt;
    revision = started.status?.lastAppliedSpec;
    expect(rolloutStartedAt).toBeDefined();
    expect(revision).not.toBe(started.status?.lastPromotedSpec);

    // A manual pause, as kubectl-sluice or the Argo CD action sets it: an annotation Git does not have.
    await setAction('pause', 'gitops-1');
    const paused = await waitForCanary('the pause to apply', (s) => s.paused === true);
    const weight = paused.status?.canaryWeight;
    const targetBefore = await readTarget();
    const replicasDuringRollout = targetBefore.spec?.replicas;
    expect(replicasDuringRollout).toBeGreaterThan(0);

    // The sync in the middle of the rollout: Git's unchanged manifests, without force.
    const appliedTarget = await gitApply(gitDeployment('v2'));
    const appliedCanary = await gitApply(gitCanary());
    expect(appliedTarget.metadata?.generation).toBe(targetBefore.metadata?.generation);
    expect(appliedTarget.spec?.replicas).toBe(replicasDuringRollout);
    expect(appliedCanary.metadata?.annotations?.['sluice.dev/action']).toBe('pause:gitops-1');
    expect(appliedCanary.metadata?.generation).toBe(paused.metadata.generation);

    // Two intervals later the rollout is where it was: same revision, same start, same weight, still paused.
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
    const later = await readCanary();
    expect(later.status).toMatchObject({ phase: 'Progressing', paused: true, canaryWeight: weight, lastAppliedSpec: revision });
    expect(later.status?.rollout?.startedAt).toBe(rolloutStartedAt);
    expect((await readTarget()).spec?.replicas).toBe(replicasDuringRollout);

    await setAction('resume', 'gitops-2');
    const done = await waitForCanary('the rollout to be promoted', (s) => s.phase === 'Succeeded');
    const samples = await progress.stop();
    expect(done.status?.lastPromotedSpec).toBe(revision);
    expect(done.status?.lastAppliedSpec).toBe(revision);

    // Never restarted: from the first Progressing on, one revision, one start, a weight that only grows.
    const during = samples.slice(samples.findIndex((s) => s.status.phase === 'Progressing'));
    expect(new Set(during.map((s) => s.status.lastAppliedSpec))).toEqual(new Set([revision]));
    const progressing = during.filter((s) => s.status.phase === 'Progressing');
    expect(new Set(progressing.map((s) => s.status.rollout?.startedAt))).toEqual(new Set([rolloutStartedAt]));
    const describe = (s: Sample): string => `${s.at} rv ${s.resourceVersion} ${s.status.phase ?? ''} ${s.status.canaryWeight ?? 0}%: ${s.status.message ?? ''}`;
    const steppedBack = progressing.flatMap((s, i) => (i > 0 && (s.status.canaryWeight ?? 0) < (progressing[i - 1]?.status.canaryWeight ?? 0) ? [`${describe(progressing[i - 1] as Sample)} -> ${describe(s)}`] : []));
    expect(steppedBack).toEqual([]);
    expect(during.filter((s) => ['Initializing', 'Initialized', 'Failed'].includes(s.status.phase ?? '')).map(describe)).toEqual([]);
  });

  it('re-applies Git after the rollout: no conflict, no drift, no new rollout', async () => {
    await waitFor('the target to be scaled to zero', async () => (await readTarget()).spec?.replicas === 0, { timeoutMs: 30_000 });
    const target = await readTarget();
    const canary = await readCanary();
    // What Argo CD's server-side diff does: a dry-run apply of Git equals the live object.
    const dryRun = await gitApply(gitDeployment('v2'), { dryRun: true });
    expect(dryRun.spec).toEqual(target.spec);
    const dryRunCanary = await gitApply(gitCanary(), { dryRun: true });
    expect(dryRunCanary.spec).toEqual(canary.spec);

    const progress = trace();
    await gitApply(gitDeployment('v2'));
    await gitApply(gitCanary());
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
    const samples = await progress.stop();
    expect(new Set(samples.map((s) => s.status.phase))).toEqual(new Set(['Succeeded']));
    expect(new Set(samples.map((s) => s.status.lastAppliedSpec))).toEqual(new Set([revision]));
    const after = await readTarget();
    expect(after.metadata?.generation).toBe(target.metadata?.generation);
    expect(after.spec?.replicas).toBe(0);
    // The operator still owns only spec.replicas of the target.
    expect(fieldPaths(managersOf(after, OPERATOR))).toEqual(['spec.replicas']);
  });

  it('breaking the rule: spec.replicas in Git conflicts with the operator, naming the field and the manager', async () => {
    let error: unknown;
    try {
      await gitApply(gitDeployment('v2', 3));
    } catch (err) {
      error = err;
    }
    expect(statusCodeOf(error)).toBe(409);
    const message = describeError(error);
    expect(message).toContain('.spec.replicas');
    expect(message).toContain(`conflict with "${OPERATOR}"`);
    expect((await readTarget()).spec?.replicas).toBe(0);
  });

  it('breaking the rule with force (what Argo CD and Flux do by default): Git and the operator fight over spec.replicas', async () => {
    const forced = await gitApply(gitDeployment('v2', 3), { force: true });
    expect(forced.spec?.replicas).toBe(3);
    // An idle Canary sends nothing to the target, so the operator scales it back: the object
    // Git just synced has drifted again, and the next sync starts the fight over.
    await waitFor('the operator to scale the target back to zero', async () => (await readTarget()).spec?.replicas === 0, { timeoutMs: 30_000, describe: () => env.operator?.tail(20) ?? '' });
    const dryRun = await gitApply(gitDeployment('v2', 3), { dryRun: true, force: true });
    expect(dryRun.spec?.replicas).toBe(3);
    expect((await readCanary()).status?.phase).toBe('Succeeded');
  });
});
