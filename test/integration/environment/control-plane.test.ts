// The test environment itself: the control plane, kwok and the tools the other suites rely on
// are real and behave like a cluster's.
import { execFileSync } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { mapAddress, parseAddressMapping } from '../../../operator/address-map.js';
import { binaryPath, deleteNamespace, FAKE_NODE_NAME, pinnedVersions, kubeConfig, newNamespace, POD_ADDRESS_MAPPING, waitFor } from '../../harness/index.js';
import { claimPodCidr } from '../../harness/pod-cidr.js';

const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const apps = config.makeApiClient(k8s.AppsV1Api);
const discovery = config.makeApiClient(k8s.DiscoveryV1Api);
const extensions = config.makeApiClient(k8s.ApiextensionsV1Api);

let namespace: string;
beforeAll(async () => {
  namespace = await newNamespace('env');
});
afterAll(async () => {
  await deleteNamespace(namespace);
});

function deployment(name: string, replicas: number): k8s.V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'example.invalid/app:1', ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

describe('local control plane', () => {
  it('runs Deployments to availability and garbage-collects their ReplicaSets and Pods', async () => {
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 3) });
    await waitFor(
      'deployment web to be available',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
        return d.status?.availableReplicas === 3;
      },
      { timeoutMs: 60_000 },
    );
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(3);
    // Pods get addresses from this run's own block, so concurrent runs never share them.
    const node = await core.readNode({ name: FAKE_NODE_NAME });
    const block = node.spec?.podCIDR ?? '';
    expect(block).toMatch(/^198\.18\.\d+\.0\/20$/);
    const blockStart = Number(block.split('.')[2]);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.podIP).toMatch(/^198\.18\./);
      const third = Number(pod.status?.podIP?.split('.')[2]);
      expect(third).toBeGreaterThanOrEqual(blockStart);
      expect(third).toBeLessThan(blockStart + 16);
    }
    // Another claim while this run holds its block gets a different one.
    const other = claimPodCidr();
    try {
      expect(other.cidr).not.toBe(block);
    } finally {
      other.release();
    }
    const replicaSets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
    expect(replicaSets.items).toHaveLength(1);

    await apps.deleteNamespacedDeployment({ name: 'web', namespace, propagationPolicy: 'Background' });
    await waitFor(
      'the ReplicaSet and Pods of web to be garbage-collected',
      async () => {
        const [rs, remaining] = await Promise.all([
          apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' }),
          core.listNamespacedPod({ namespace, labelSelector: 'app=web' }),
        ]);
        return rs.items.length === 0 && remaining.items.length === 0;
      },
      { timeoutMs: 60_000 },
    );
  });

  it('publishes EndpointSlices with the pods’ addresses, each mapping onto loopback', async () => {
    await apps.createNamespacedDeployment({ namespace, body: deployment('api', 2) });
    await core.createNamespacedService({
      namespace,
      body: { metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    let addresses: string[] = [];
    await waitFor(
      'an EndpointSlice with both ready pods of api',
      async () => {
        const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: 'kubernetes.io/service-name=api' });
        addresses = slices.items.flatMap((s) => s.endpoints.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses));
        return addresses.length === 2;
      },
      { timeoutMs: 60_000 },
    );
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=api' });
    expect(addresses.sort()).toEqual(pods.items.map((p) => p.status?.podIP).sort());
    const mapping = [parseAddressMapping(POD_ADDRESS_MAPPING)];
    for (const address of addresses) expect(mapAddress(address, mapping)).toMatch(/^127\./);
  });

  it('establishes a CRD and rejects an object violating its schema, naming the field', async () => {
    const group = `${namespace}.test.sluice.dev`;
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          scope: 'Namespaced',
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['size'],
                      properties: { size: { type: 'integer', minimum: 1, maximum: 10 } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    try {
      await waitFor(
        'the CRD to be Established',
        async () => {
          const crd = await extensions.readCustomResourceDefinition({ name: `widgets.${group}` });
          return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
        },
        { timeoutMs: 30_000 },
      );
      const custom = config.makeApiClient(k8s.CustomObjectsApi);
      const create = (size: unknown): Promise<unknown> =>
        custom.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace,
          plural: 'widgets',
          body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: `w${String(size)}` }, spec: { size } },
        });
      await expect(create(5)).resolves.toBeDefined();
      await expect(create(42)).rejects.toThrow(/spec\.size/);
    } finally {
      await extensions.deleteCustomResourceDefinition({ name: `widgets.${group}` });
    }
  });

  it('reports the pinned Kubernetes version', async () => {
    const version = await config.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toBe(pinnedVersions().kubernetes);
  });

  it('has helm from the cache', () => {
    const output = execFileSync(binaryPath('helm'), ['version', '--short'], { encoding: 'utf8' });
    expect(output).toMatch(/^v3\.\d+\.\d+/);
  });
});
