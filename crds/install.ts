// Installs our CRDs into a cluster with server-side apply and waits until the API server
// serves them. For tests, the playground and tools; production installs use the chart.

import {
  ApiextensionsV1Api,
  type KubeConfig,
  KubernetesObjectApi,
  loadYaml,
  PatchStrategy,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { customResourceDefinitions } from './definitions.js';
import { crdYaml } from './render.js';

export interface InstallOptions {
  fieldManager?: string;
  /** How long to wait for every CRD to become Established. Default 30 s. */
  timeoutMs?: number;
}

function isEstablished(crd: V1CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}

/**
 * Applies every Sluice CRD (idempotent: server-side apply with force, so concurrent
 * installers converge) and resolves once all of them are Established.
 */
export async function installCrds(kc: KubeConfig, options: InstallOptions = {}): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  const names: string[] = [];
  for (const crd of customResourceDefinitions()) {
    // loadYaml turns the plain JSON into client-node's model, whose serializer knows the
    // x-kubernetes-* keys; handing it a plain object would silently drop them.
    const model = loadYaml<V1CustomResourceDefinition>(crdYaml(crd));
    await objects.patch(model, undefined, undefined, options.fieldManager ?? 'sluice', true, PatchStrategy.ServerSideApply);
    names.push(crd.metadata.name);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (const name of names) {
    for (;;) {
      const crd = await crds.readCustomResourceDefinition({ name });
      if (isEstablished(crd)) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established in time: ${JSON.stringify(crd.status?.conditions)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
