// Real processes for simulated pods: kwok makes a Deployment's pods "run"; this starts the
// demo app for each of them on the pod's address mapped onto loopback, so that EndpointSlices,
// the proxies and the traffic are all real. sync() is idempotent: it starts apps for new
// pods and stops those whose pods are gone. A pod becomes Ready once its app listens
// (pod-process.ts).
import * as k8s from '@kubernetes/client-node';
import { mapAddress, parseAddressMapping } from '../../operator/address-map.js';
import { settingsFromEnv, startDemoApp, type DemoAppSettings } from '../apps/demo-app.js';
import { POD_ADDRESS_MAPPING } from './control-plane.js';
import { markPodProcess } from './pod-process.js';

const mapping = [parseAddressMapping(POD_ADDRESS_MAPPING)];

export function loopbackAddressOf(podIP: string): string {
  return mapAddress(podIP, mapping);
}

export class PodApps {
  private readonly running = new Map<string, { address: string; pod: k8s.V1Pod; close: () => Promise<void> }>();
  /** Apps of pods that are gone, still serving their grace period, by address. */
  private readonly closing = new Map<string, () => Promise<void>>();
  /** How long an app keeps serving after its pod is gone. */
  terminationGraceMs = 2_000;

  constructor(
    private readonly core: k8s.CoreV1Api,
    private readonly namespace: string,
    private readonly labelSelector: string,
    private readonly settings: Omit<DemoAppSettings, 'host'> | ((pod: k8s.V1Pod) => Omit<DemoAppSettings, 'host'>),
  ) {}

  /** Settings from the pod's own container env (VERSION, ERROR_RATE, LATENCY_MS, ...), as a real pod would read them. */
  static fromPodEnv(port: number): (pod: k8s.V1Pod) => Omit<DemoAppSettings, 'host'> {
    return (pod) => {
      const env: Record<string, string> = {};
      for (const e of pod.spec?.containers[0]?.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
      const { host: _host, ...rest } = settingsFromEnv({ ...env, PORT: String(port) });
      return rest;
    };
  }

  /** Loopback addresses of the apps running now. */
  get addresses(): string[] {
    return [...this.running.values()].map((r) => r.address).sort();
  }

  async sync(): Promise<string[]> {
    const pods = await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.labelSelector });
    const live = new Map<string, k8s.V1Pod>();
    for (const pod of pods.items) {
      if (pod.status?.podIP && pod.status.phase === 'Running' && !pod.metadata?.deletionTimestamp) live.set(pod.metadata?.name ?? '', pod);
    }
    for (const [name, app] of this.running) {
      if (!live.has(name)) {
        // A real pod keeps serving through its termination grace period while the endpoint
        // update reaches the proxies (the pod stays Terminating meanwhile); then kwok is told
        // the app stopped, and deletes the pod (kwok-stages.yaml).
        this.running.delete(name);
        const close = async (): Promise<void> => {
          await app.close();
          await markPodProcess(this.core, app.pod, 'stopped').catch(() => undefined);
        };
        this.closing.set(app.address, close);
        setTimeout(() => {
          if (this.closing.get(app.address) === close) this.closing.delete(app.address);
          void close();
        }, this.terminationGraceMs).unref();
      }
    }
    for (const [name, pod] of live) {
      if (this.running.has(name)) continue;
      const address = loopbackAddressOf(pod.status?.podIP ?? '');
      const settings = typeof this.settings === 'function' ? this.settings(pod) : this.settings;
      // kwok hands a deleted pod's address to the next pod at once; a real node would not.
      const previous = this.closing.get(address);
      if (previous) {
        this.closing.delete(address);
        await previous();
      }
      let app: Awaited<ReturnType<typeof startDemoApp>>;
      try {
        app = await startDemoApp({ ...settings, host: address });
      } catch (err) {
        await markPodProcess(this.core, pod, 'failed');
        throw err;
      }
      this.running.set(name, { address, pod, close: app.close });
      // kwok marks the pod Ready only now (kwok-stages.yaml): no client reaches a closed port.
      await markPodProcess(this.core, pod, 'listening');
    }
    return this.addresses;
  }

  async stop(): Promise<void> {
    for (const app of this.running.values()) await app.close();
    for (const close of this.closing.values()) await close();
    this.closing.clear();
    this.running.clear();
  }
}
