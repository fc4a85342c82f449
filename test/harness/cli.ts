// `npm run cluster`: the test control plane for manual use. Prints how to reach it and runs
// until Ctrl-C, then stops every component.
import { ControlPlane } from './control-plane.js';

const started = Date.now();
process.stdout.write('Starting a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)...\n');
const plane = await ControlPlane.start({ log: (line) => process.stdout.write(`  ${line}\n`) });
process.stdout.write(
  `\nReady in ${((Date.now() - started) / 1000).toFixed(1)} s. In another shell:\n\n  export KUBECONFIG=${plane.kubeconfigPath}\n  kubectl get nodes\n\nCtrl-C stops it and removes its files.\n`,
);
let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nStopping...\n');
  await plane.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
setInterval(() => {
  const crashed = plane.crashed();
  if (crashed.length > 0) {
    process.stderr.write(`A component died:\n${crashed.join('\n')}\n`);
    void shutdown();
  }
}, 2000);
