// Templated CRDs (crds.templated=true) on the real API server: Helm refuses to take over
// CRDs it did not create, the adoption the chart README documents makes it work, helm
// upgrade then keeps the CRDs as the chart has them (a live change is reverted), and
// helm uninstall leaves them in place (deleting a CRD would delete every Canary).
import * as k8s from '@kubernetes/client-node';
import { installCrds } from '../../../crds/install.js';
import { deleteNamespace, kubeConfig, newNamespace } from '../../harness/index.js';
import { CHART_DIR, Helm } from './support.js';

const kc = kubeConfig();
const extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);
const NAMES = ['alertproviders.sluice.dev', 'canaries.sluice.dev', 'meshroutes.sluice.dev', 'metrictemplates.sluice.dev'];
const RELEASE = 'crds';
const helm = new Helm();
let ns = '';

async function mergePatchCrd(name: string, patch: Record<string, unknown>): Promise<void> {
  await extensions.patchCustomResourceDefinition({ name, body: patch }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
}

beforeAll(async () => {
  await installCrds(kc);
  ns = await newNamespace('chart-crds');
});

afterAll(async () => {
  await helm.run(['uninstall', RELEASE, '--namespace', ns, '--wait']);
  helm.remove();
  // Back to CRDs that belong to no release, as the other tests expect them.
  for (const name of NAMES) {
    await mergePatchCrd(name, {
      metadata: {
        labels: { 'app.kubernetes.io/managed-by': null },
        annotations: { 'meta.helm.sh/release-name': null, 'meta.helm.sh/release-namespace': null, 'helm.sh/resource-policy': null },
      },
    });
  }
  await installCrds(kc);
  await deleteNamespace(ns);
});

describe('CRDs as templates', () => {
  const install = (): string[] => ['install', RELEASE, CHART_DIR, '--namespace', ns, '--skip-crds', '--set', 'crds.templated=true', '--set', 'operator.replicas=1', '--wait', '--timeout', '120s'];

  it('are refused while the existing CRDs belong to no release, with a message that says why', async () => {
    const refused = await helm.run(install());
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/CustomResourceDefinition "[a-z.]+sluice.dev" .*exists and cannot be imported into the current release/);
  });

  it('install after the documented adoption, and carry the keep policy', async () => {
    // What the README's kubectl label/annotate commands do.
    const crds = await extensions.listCustomResourceDefinition({ labelSelector: 'app.kubernetes.io/part-of=sluice' });
    expect(crds.items.map((c) => c.metadata?.name).sort()).toEqual(NAMES);
    for (const crd of crds.items) {
      await mergePatchCrd(crd.metadata?.name ?? '', {
        metadata: {
          labels: { 'app.kubernetes.io/managed-by': 'Helm' },
          annotations: { 'meta.helm.sh/release-name': RELEASE, 'meta.helm.sh/release-namespace': ns },
        },
      });
    }
    await helm.ok(install());
    for (const name of NAMES) {
      const crd = await extensions.readCustomResourceDefinition({ name });
      expect(crd.metadata?.annotations).toMatchObject({ 'helm.sh/resource-policy': 'keep', 'meta.helm.sh/release-name': RELEASE });
    }
  });

  it('are brought back to the chart\'s definition by helm upgrade', async () => {
    await mergePatchCrd('meshroutes.sluice.dev', { spec: { names: { shortNames: ['mroute'] } } });
    expect((await extensions.readCustomResourceDefinition({ name: 'meshroutes.sluice.dev' })).spec.names.shortNames).toEqual(['mroute']);
    await helm.ok(['upgrade', RELEASE, CHART_DIR, '--namespace', ns, '--set', 'crds.templated=true', '--set', 'operator.replicas=1', '--set', 'operator.logLevel=debug', '--wait', '--timeout', '120s']);
    expect((await extensions.readCustomResourceDefinition({ name: 'meshroutes.sluice.dev' })).spec.names.shortNames).toEqual(['mr']);
  });

  it('stay when the release is uninstalled', async () => {
    await helm.ok(['uninstall', RELEASE, '--namespace', ns, '--wait', '--timeout', '120s']);
    for (const name of NAMES) {
      const crd = await extensions.readCustomResourceDefinition({ name });
      expect(crd.metadata?.deletionTimestamp).toBeUndefined();
    }
  });
});
