// Starts the one real control plane all integration tests share (each test uses its own
// namespace). Set SLUICE_SKIP_CLUSTER=1 to run integration tests that need no Kubernetes.
import { randomUUID } from 'node:crypto';
import { ControlPlane } from './control-plane.js';

declare global {
  var sluiceControlPlane: ControlPlane | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env.SLUICE_TEST_RUN ??= randomUUID();
  if (process.env.SLUICE_SKIP_CLUSTER === '1') return;
  // Every project that needs the cluster (integration, e2e) names this setup; Jest runs each
  // one, and one control plane serves them all.
  if (globalThis.sluiceControlPlane) return;
  const started = Date.now();
  const plane = await ControlPlane.start();
  globalThis.sluiceControlPlane = plane;
  process.env.SLUICE_TEST_KUBECONFIG = plane.kubeconfigPath;
  process.stdout.write(`\n[harness] control plane up in ${Date.now() - started} ms (${plane.kubeconfigPath})\n`);
}
