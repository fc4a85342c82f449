// The CRDs against a real kube-apiserver: they install and become Established, every
// example is accepted and stored exactly as written (plus the documented defaults), the
// status subresource works and `kubectl get` shows the printer columns.

import https from 'node:https';
import { ApiextensionsV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { CANARY, CATEGORY, GROUP, VERSION } from '../../../crds/index.js';
import { KIND_DEFINITIONS } from '../../../crds/definitions.js';
import { applyDefaults } from '../../../crds/schema/defaults.js';
import { deleteNamespace, kubeConfig, newNamespace } from '../../harness/index.js';
import { createObject, ensureCrds, exampleManifests, getObject, kindOf, type Manifest } from './support.js';

interface Table {
  columnDefinitions: { name: string; priority: number }[];
  rows: { cells: unknown[] }[];
}

/** GET with the Table media type: what `kubectl get` asks for. */
async function getTable(kc: KubeConfig, path: string): Promise<Table> {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('kubeconfig has no cluster');
  const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, server), options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as Table);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function specSchemaOf(kind: string) {
  const def = KIND_DEFINITIONS.find((d) => d.meta.kind === kind);
  if (def === undefined) throw new Error(`unknown kind ${kind}`);
  return def.spec.json;
}

describe('Sluice CRDs on a real API server', () => {
  let kc: KubeConfig;
  let namespace: string;

  beforeAll(async () => {
    kc = kubeConfig();
    await ensureCrds(kc);
    namespace = await newNamespace('crds');
  });

  afterAll(async () => {
    await deleteNamespace(namespace);
  });

  it('installs every CRD as Established, with short names and the sluice category', async () => {
    const crds = kc.makeApiClient(ApiextensionsV1Api);
    for (const def of KIND_DEFINITIONS) {
      const crd = await crds.readCustomResourceDefinition({ name: def.meta.crdName });
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
      // Structural-schema violations show up as NonStructuralSchema, not as a failed apply.
      expect(crd.status?.conditions?.find((c) => c.type === 'NonStructuralSchema')).toBeUndefined();
    }
    const discovery = await kc.makeApiClient(CustomObjectsApi).getAPIResources({ group: GROUP, version: VERSION });
    for (const def of KIND_DEFINITIONS) {
      const resource = discovery.resources.find((r) => r.name === def.meta.plural);
      expect(resource).toMatchObject({ kind: def.meta.kind, namespaced: true, shortNames: [...def.meta.shortNames], categories: [CATEGORY] });
      expect(discovery.resources.some((r) => r.name === `${def.meta.plural}/status`)).toBe(true);
    }
  });

  const examples = exampleManifests();

  it('has an example of every kind', () => {
    expect(new Set(examples.map((e) => e.manifest.kind))).toEqual(new Set(KIND_DEFINITIONS.map((d) => d.meta.kind)));
  });

  it.each(examples.map((e) => [`${e.file}: ${e.manifest.kind} ${e.manifest.metadata.name}`, e.manifest] as const))(
    'accepts %s and stores it unchanged',
    async (_title, manifest) => {
      await createObject(kc, namespace, manifest);
      const stored = await getObject(kc, namespace, manifest);
      // Anything the schema did not know would have been pruned; anything a rule disliked
      // would have been rejected. Only the documented defaults may be added.
      expect(stored.spec).toEqual(applyDefaults(specSchemaOf(manifest.kind), manifest.spec));
      expect(stored.metadata.labels).toEqual(manifest.metadata.labels);
      // Writing back what was read is a no-op: defaulting is stable.
      const meta = kindOf(manifest);
      const replaced = (await kc.makeApiClient(CustomObjectsApi).replaceNamespacedCustomObject({
        group: meta.group,
        version: meta.version,
        plural: meta.plural,
        namespace,
        name: manifest.metadata.name,
        body: stored,
      })) as Manifest & { metadata: { resourceVersion?: string } };
      expect(replaced.metadata.resourceVersion).toBe((stored.metadata as { resourceVersion?: string }).resourceVersion);
    },
  );

  it('keeps status out of the main resource and serves it, and the printer columns, through the status subresource', async () => {
    const example = examples.find((e) => e.file === 'weighted-canary.yaml')?.manifest;
    if (example === undefined) throw new Error('weighted-canary.yaml missing');
    const name = 'status-columns';
    const created = await createObject(kc, namespace, {
      ...example,
      metadata: { name },
      status: { phase: 'Succeeded' },
    });
    expect(created.status).toBeUndefined();

    const status = {
      phase: 'Progressing',
      canaryWeight: 30,
      failedChecks: 2,
      iterations: 0,
      lastTransitionTime: '2026-11-21T10:00:00Z',
      observedGeneration: 1,
      paused: false,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'Progressing',
          message: 'advancing canary weight to 30',
          lastTransitionTime: '2026-11-21T10:00:00Z',
          observedGeneration: 1,
        },
      ],
      analysisResults: [
        { metric: 'request-success-rate', value: 99.7, thresholdRange: { min: 99 }, verdict: 'Passed', time: '2026-11-21T10:00:00Z' },
      ],
      manualAction: { action: 'pause', nonce: 'a1b2c3', state: 'Applied', time: '2026-11-21T10:00:00Z' },
      rollout: { startedAt: '2026-11-21T09:57:00Z', stepStartedAt: '2026-11-21T10:00:00Z', preRolloutPassed: true },
      trackedConfigs: { 'configmap/podinfo-config': 'a1b2' },
    };
    const current = await getObject(kc, namespace, { ...example, metadata: { name } });
    const updated = (await kc.makeApiClient(CustomObjectsApi).replaceNamespacedCustomObjectStatus({
      group: CANARY.group,
      version: CANARY.version,
      plural: CANARY.plural,
      namespace,
      name,
      body: { ...current, status },
    })) as Manifest;
    expect(updated.status).toEqual(status);

    const table = await getTable(kc, `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${CANARY.plural}/${name}`);
    const columns = table.columnDefinitions.map((c) => [c.name, c.priority] as const);
    expect(columns).toEqual(
      expect.arrayContaining([
        ['Phase', 0],
        ['Weight', 0],
        ['FailedChecks', 0],
        ['LastTransition', 0],
        ['Interval', 1],
        ['Step', 1],
        ['MaxWeight', 1],
      ]),
    );
    const cell = (column: string): unknown => table.rows[0]?.cells[table.columnDefinitions.findIndex((c) => c.name === column)];
    expect(cell('Phase')).toBe('Progressing');
    expect(cell('Weight')).toBe(30);
    expect(cell('FailedChecks')).toBe(2);
    expect(cell('Interval')).toBe('1m');
    expect(cell('Step')).toBe(10);
    expect(cell('MaxWeight')).toBe(50);
  });
});
