// autoscalerRef: the primary gets its own copy of the target's HorizontalPodAutoscaler,
// scaling <target>-primary with the bounds primaryScalerReplicas sets, brought in line with
// the target's HPA when the Canary next works (at the latest when it promotes a revision),
// and removed with the Canary. Real components (see support.ts), with the
// real kube-controller-manager running the HPAs.
import * as k8s from '@kubernetes/client-node';
import { waitFor } from '../../../harness/index.js';
import { config, CanaryTestEnv, canaryFor } from './support.js';

const autoscaling = config.makeApiClient(k8s.AutoscalingV2Api);
const env = new CanaryTestEnv('canary-hpa', '127.18.254.10').hooks(async () => {
  const canary = canaryFor();
  canary.spec.autoscalerRef = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'podinfo', primaryScalerReplicas: { maxReplicas: 6 } };
  await env.start(canary);
  await autoscaling.createNamespacedHorizontalPodAutoscaler({ namespace: env.namespace, body: targetHpa(80) });
});

const targetHpa = (averageUtilization: number): k8s.V2HorizontalPodAutoscaler => ({
  metadata: { name: 'podinfo' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    minReplicas: 2,
    maxReplicas: 4,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization } } }],
  },
});


async function primaryHpa(): Promise<k8s.V2HorizontalPodAutoscaler | undefined> {
  try {
    return await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'podinfo-primary', namespace: env.namespace });
  } catch {
    return undefined;
  }
}

describe('canary controller: autoscalerRef', () => {
  it('gives the primary its own HPA, following the target HPA through a rollout, gone with the Canary', async () => {
    await env.waitForPhase('Initialized', 60_000);
    let copy: k8s.V2HorizontalPodAutoscaler | undefined;
    await waitFor('the primary HPA', async () => (copy = await primaryHpa()) !== undefined, { timeoutMs: 30_000 });
    expect(copy?.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-primary' });
    expect(copy?.spec?.minReplicas).toBe(2);
    expect(copy?.spec?.maxReplicas).toBe(6);
    expect(copy?.spec?.metrics?.[0]?.resource?.target.averageUtilization).toBe(80);
    expect(copy?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo', controller: true });
    // The target's HPA is untouched and still points at the target.
    const source = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'podinfo', namespace: env.namespace });
    expect(source.spec?.scaleTargetRef.name).toBe('podinfo');

    await autoscaling.patchNamespacedHorizontalPodAutoscaler(
      { name: 'podinfo', namespace: env.namespace, body: { spec: { metrics: targetHpa(60).spec?.metrics } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    // The analysis needs traffic to judge.
    const load = env.clientLoad(await env.listenerPort());
    await env.rollOut('v2');
    await env.waitForPhase('Succeeded', 90_000);
    expect((await load.stop()).meshFailures).toEqual([]);
    expect((await primaryHpa())?.spec?.metrics?.[0]?.resource?.target.averageUtilization).toBe(60);

    await env.deleteCanary();
    await waitFor('the primary HPA to be removed', async () => (await primaryHpa()) === undefined, { timeoutMs: 60_000 });
    expect((await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'podinfo', namespace: env.namespace })).spec?.scaleTargetRef.name).toBe('podinfo');
  });
});
