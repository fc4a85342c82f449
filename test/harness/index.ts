// What integration tests use from the harness: the shared control plane's kubeconfig and
// a namespace of their own.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';

export { binaryPath, pinnedVersions, prometheusPath, repoRoot } from './binaries.js';
export { waitFor } from './managed-process.js';
export { POD_ADDRESS_MAPPING, FAKE_NODE_NAME } from './control-plane.js';

export function kubeconfigPath(): string {
  const path = process.env.SLUICE_TEST_KUBECONFIG;
  if (!path) {
    throw new Error('no test control plane: run integration tests through `npm test` (SLUICE_SKIP_CLUSTER must not be set)');
  }
  return path;
}

/** Admin credentials for the shared test control plane. */
export function kubeConfig(): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfigPath());
  return config;
}

/** Creates a namespace with a unique name starting with `prefix`. */
export async function newNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`.toLowerCase();
  await kubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .createNamespace({ body: { metadata: { name, labels: { 'sluice.dev/test': 'true' } } } });
  return name;
}

/** Deletes a namespace without waiting for its finalization. */
export async function deleteNamespace(name: string): Promise<void> {
  await kubeConfig().makeApiClient(k8s.CoreV1Api).deleteNamespace({ name });
}
