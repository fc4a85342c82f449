// The waypoints' CA ConfigMap, end to end with a real sluice-operator process: applied with
// server-side apply under the MeshRoute controller's field manager into the namespace where
// the waypoint runs, put back when someone deletes it, updated when the bundle file changes
// (and not when the new file is unusable), and removed with the waypoint. An operator whose
// bundle file is missing stops at once with a message naming it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { installCrds } from '../../../../crds/install.js';
import { WAYPOINT_NAME } from '../../../../operator/meshroute/waypoint.js';
import { freePort } from '../../../harness/control-plane.js';
import { deleteNamespace, kubeConfig, newNamespace, waitFor } from '../../../harness/index.js';
import type { ManagedProcess } from '../../../harness/managed-process.js';
import { CertificateAuthority } from '../../../harness/pki.js';
import { startOperatorProcess } from '../../../harness/sluice-processes.js';

const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const apps = config.makeApiClient(k8s.AppsV1Api);
const custom = config.makeApiClient(k8s.CustomObjectsApi);
const work = { dir: mkdtempSync(join(tmpdir(), 'sluice-waypoint-ca-')) };
const CA_NAME = 'sluice-config-server-ca';
const caFile = join(work.dir, 'ca.crt');
const cleanups: (() => Promise<void>)[] = [];
let namespace = '';

async function readCa(): Promise<k8s.V1ConfigMap | undefined> {
  try {
    return await core.readNamespacedConfigMap({ name: CA_NAME, namespace });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

function startOperator(name: string, extraArgs: string[]): ManagedProcess {
  const operator = startOperatorProcess({
    name,
    namespace,
    configPort: 0,
    dir: work.dir,
    extraArgs: [
      '--waypoint-image=ghcr.io/sluice-dev/sluice:test',
      '--waypoint-config-server-url=https://sluice-operator.sluice-system.svc:15012',
      `--waypoint-ca-configmap=${CA_NAME}`,
      '--file-poll-interval=200ms',
      ...extraArgs,
    ],
  });
  cleanups.push(() => operator.stop());
  return operator;
}

beforeAll(async () => {
  await installCrds(config);
  namespace = await newNamespace('waypoint-ca');
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await deleteNamespace(namespace);
  rmSync(work.dir, { recursive: true, force: true });
});

describe('the waypoint CA ConfigMap', () => {
  it('is applied with the waypoint, kept in place and up to date, and removed with it', async () => {
    const first = CertificateAuthority.create('sluice-ca-1');
    writeFileSync(caFile, first.certPem);
    const configPort = await freePort();
    const operator = startOperator('operator', [`--config-port=${configPort}`, `--waypoint-ca-file=${caFile}`]);
    const operatorLog = (): string => operator.tail(20);

    await core.createNamespacedService({ namespace, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } } });
    await custom.createNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'meshroutes',
      body: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'MeshRoute',
        metadata: { name: 'web' },
        spec: { service: 'web', port: 80, rules: [{ name: 'all', backends: [{ service: 'web', port: 80, weight: 100 }] }] },
      },
    });
    await waitFor('the waypoint and its CA ConfigMap', async () => (await readCa()) !== undefined, { timeoutMs: 30_000, describe: operatorLog });
    const applied = await readCa();
    expect(applied?.data).toEqual({ 'ca.crt': `${first.certPem.trim()}\n` });
    expect(applied?.metadata?.labels).toMatchObject({ 'app.kubernetes.io/name': WAYPOINT_NAME, 'app.kubernetes.io/managed-by': 'sluice' });
    expect(applied?.metadata?.managedFields?.map((f) => [f.manager, f.operation])).toEqual([['sluice-meshroute', 'Apply']]);
    const waypoint = await apps.readNamespacedDeployment({ name: WAYPOINT_NAME, namespace });
    expect(waypoint.spec?.template.spec?.volumes).toContainEqual({ name: 'config-server-ca', configMap: { name: CA_NAME, defaultMode: 420 } });

    // Deleted behind the operator's back: it comes back.
    await core.deleteNamespacedConfigMap({ name: CA_NAME, namespace });
    const deletedAt = Date.now();
    await waitFor('the CA ConfigMap to be put back', async () => (await readCa())?.metadata?.uid !== undefined && (await readCa())?.metadata?.uid !== applied?.metadata?.uid, {
      timeoutMs: 15_000,
      intervalMs: 50,
      describe: operatorLog,
    });
    const restoredMs = Date.now() - deletedAt;

    // A new CA (rotation: old and new together) reaches the namespace without a restart.
    const second = CertificateAuthority.create('sluice-ca-2');
    writeFileSync(caFile, `${first.certPem}${second.certPem}`);
    const rotatedAt = Date.now();
    await waitFor('the new bundle in the ConfigMap', async () => ((await readCa())?.data?.['ca.crt'] ?? '').includes(second.certPem.trim()), {
      timeoutMs: 15_000,
      intervalMs: 50,
      describe: operatorLog,
    });
    const rotationMs = Date.now() - rotatedAt;
    expect((await readCa())?.data?.['ca.crt']).toBe(`${`${first.certPem}${second.certPem}`.trim()}\n`);

    // An unusable file keeps the last good bundle.
    const before = (await readCa())?.data;
    writeFileSync(caFile, 'not a certificate\n');
    await waitFor('the operator to refuse the unusable bundle', async () => readFileSync(join(work.dir, 'operator.log'), 'utf8').includes('the new waypoint CA bundle is unusable'), {
      timeoutMs: 10_000,
      describe: operatorLog,
    });
    expect((await readCa())?.data).toEqual(before);

    // The last route goes: the waypoint, and its CA, go with it.
    await custom.deleteNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural: 'meshroutes', name: 'web' });
    await waitFor(
      'the waypoint and its CA ConfigMap to be removed',
      async () => {
        const deployments = await apps.listNamespacedDeployment({ namespace });
        return deployments.items.length === 0 && (await readCa()) === undefined;
      },
      { timeoutMs: 30_000, describe: operatorLog },
    );
    expect(operator.running).toBe(true);
    process.stdout.write(`[waypoint-ca] restored after deletion in ${restoredMs} ms, rotated in ${rotationMs} ms (poll 200 ms)\n`);
  });

  it('refuses to start with a bundle file it cannot use, naming it', async () => {
    const missing = join(work.dir, 'missing.crt');
    const operator = startOperator('operator-missing-ca', [`--config-port=${await freePort()}`, `--waypoint-ca-file=${missing}`]);
    await operator.waitForExit();
    expect(operator.describeExit()).toContain('exited with code 2');
    expect(operator.tail(5)).toContain(`cannot read the waypoint CA bundle ${missing}`);
  });
});
