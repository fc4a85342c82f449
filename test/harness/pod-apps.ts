// Real processes for simulated pods: kwok makes a Deployment's pods "run"; this starts the
// demo app for each of them on the pod's address mapped onto loopback, so that EndpointSlices,
// the proxies and the traffic are all real. sync() is idempotent: it starts apps for new
// pods and stops those whose pods are gone.
import * as k8s from '@kubernetes/client-node';
import { mapAddress, parseAddressMapping } from '../../operator/address-map.js';
import { startDemoApp, type DemoAppSettings } from '../apps/demo-app.js';
import { POD_ADDRESS_MAPPING } from './control-plane.js';

const mapping = [parseAddressMapping(POD_ADDRESS_MAPPING)];

export function loopbackAddressOf(podIP: string): string {
  return mapAddress(podIP, mapping);
}

export class PodApps {
  private readonly running = new Map<string, { address: string; close: () => Promise<void> }>();

  constructor(
    private readonly core: k8s.CoreV1Api,
    private readonly namespace: string,
    private readonly labelSelector: string,
    private readonly settings: Omit<DemoAppSettings, 'host'>,
  ) {}

  /** Loopback addresses of the apps running now. */
  get addresses(): string[] {
    return [...this.running.values()].map((r) => r.address).sort();
  }

  async sync(): Promise<string[]> {
    const pods = await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.labelSelector });
    const live = new Map<string, string>();
    for (const pod of pods.items) {
      const ip = pod.status?.podIP;
      if (ip && pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp) live.set(pod.metadata?.name ?? '', ip);
    }
    for (const [name, app] of this.running) {
      if (!live.has(name)) {
        await app.close();
        this.running.delete(name);
      }
    }
    for (const [name, ip] of live) {
      if (this.running.has(name)) continue;
      const address = loopbackAddressOf(ip);
      const app = await startDemoApp({ ...this.settings, host: address });
      this.running.set(name, { address, close: app.close });
    }
    return this.addresses;
  }

  async stop(): Promise<void> {
    for (const app of this.running.values()) await app.close();
    this.running.clear();
  }
}
