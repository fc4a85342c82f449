// What a kubelet would do for the waypoint pods the operator creates, as far as the proxy
// process is concerned: kwok makes the pods "run"; this runs the real sluice-proxy for each
// of them from the pod's own spec. The container's command and args are used as they are,
// with mounted paths pointing at local copies of the volumes: the projected ServiceAccount
// token comes from the TokenRequest API (the volume's audience and lifetime, bound to the
// pod), a ConfigMap volume from the ConfigMap (a pod whose ConfigMap does not exist does not
// start, as in ContainerCreating). Env values and fieldRefs are filled in. The one addition
// is --bind-address: the pod's address mapped onto loopback stands in for the pod's network
// namespace.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { ManagedProcess } from '../../harness/managed-process.js';
import { loopbackAddressOf } from '../../harness/pod-apps.js';
import { repoRoot } from '../../harness/index.js';

/** The image's commands (Dockerfile: symlinks in /usr/local/bin) as built entry points. */
const COMMANDS: Record<string, string> = {
  'sluice-proxy': join(repoRoot, 'dist/proxy/main.js'),
};

export interface WaypointPodsOptions {
  core: k8s.CoreV1Api;
  namespace: string;
  labelSelector: string;
  /** Where volumes and logs go. */
  dir: string;
}

interface Running {
  process: ManagedProcess;
  address: string;
}

export class WaypointPods {
  private readonly running = new Map<string, Running>();
  /** Pods that cannot start yet, with why (e.g. a missing ConfigMap). */
  readonly waiting = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly options: WaypointPodsOptions) {}

  /** Pod names whose proxy runs now. */
  get pods(): string[] {
    return [...this.running.keys()].sort();
  }

  logOf(pod: string): string {
    return join(this.options.dir, `proxy-${pod}.log`);
  }

  processOf(pod: string): ManagedProcess | undefined {
    return this.running.get(pod)?.process;
  }

  /** Follows the pods every `intervalMs` until stop(). */
  start(intervalMs = 250): void {
    const tick = (): void => {
      this.syncing = this.sync().catch(() => undefined);
      void this.syncing.then(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.syncing;
    await Promise.all([...this.running.values()].map((r) => r.process.stop()));
    this.running.clear();
  }

  /** Starts proxies for running pods that have none, stops those whose pod is gone. */
  async sync(): Promise<void> {
    const { core, namespace, labelSelector } = this.options;
    const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items.filter(
      (p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata?.deletionTimestamp,
    );
    const live = new Set(pods.map((p) => p.metadata?.name ?? ''));
    for (const [name, running] of this.running) {
      if (live.has(name)) continue;
      this.running.delete(name);
      await running.process.stop();
    }
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      if (this.running.has(name)) continue;
      const started = await this.startPod(pod);
      if (typeof started === 'string') this.waiting.set(name, started);
      else {
        this.waiting.delete(name);
        this.running.set(name, started);
      }
    }
  }

  private async startPod(pod: k8s.V1Pod): Promise<Running | string> {
    const name = pod.metadata?.name ?? '';
    const spec = pod.spec;
    const container = spec?.containers[0];
    if (!spec || !container) return 'no container';
    const podDir = join(this.options.dir, name);
    const volumeDirs = new Map<string, string>();
    for (const volume of spec.volumes ?? []) {
      const dir = join(podDir, volume.name);
      mkdirSync(dir, { recursive: true });
      const problem = await this.materialize(pod, volume, dir);
      if (problem) return problem;
      volumeDirs.set(volume.name, dir);
    }
    const mounts = (container.volumeMounts ?? []).map((m) => ({ from: m.mountPath.replace(/\/$/, ''), to: volumeDirs.get(m.name) ?? '' }));
    const local = (arg: string): string => mounts.reduce((text, m) => text.split(`${m.from}/`).join(`${m.to}/`), arg);
    const [command, ...commandArgs] = container.command ?? [];
    const entry = COMMANDS[command ?? ''];
    if (!entry) return `the image has no command ${JSON.stringify(command)}`;
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = name;
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = pod.metadata?.namespace;
      else return `env ${e.name}: only values and metadata fieldRefs are supported here`;
    }
    const address = loopbackAddressOf(pod.status?.podIP ?? '');
    const child = new ManagedProcess({
      name: `waypoint-${name}`,
      command: process.execPath,
      args: [entry, ...[...commandArgs, ...(container.args ?? [])].map(local), `--bind-address=${address}`],
      env,
      logFile: this.logOf(name),
    });
    return { process: child, address };
  }

  /** Writes the volume's files into `dir`; returns why it cannot (yet), if so. */
  private async materialize(pod: k8s.V1Pod, volume: k8s.V1Volume, dir: string): Promise<string | undefined> {
    const { core, namespace } = this.options;
    if (volume.projected) {
      for (const source of volume.projected.sources ?? []) {
        const token = source.serviceAccountToken;
        if (!token) return `volume ${volume.name}: only serviceAccountToken projections are supported here`;
        const response = await core.createNamespacedServiceAccountToken({
          name: pod.spec?.serviceAccountName ?? 'default',
          namespace,
          body: {
            spec: {
              audiences: token.audience ? [token.audience] : [],
              expirationSeconds: token.expirationSeconds ?? 3600,
              boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
            },
          },
        });
        writeFileSync(join(dir, token.path), response.status?.token ?? '', { mode: 0o600 });
      }
      return undefined;
    }
    if (volume.configMap) {
      let configMap: k8s.V1ConfigMap;
      try {
        configMap = await core.readNamespacedConfigMap({ name: volume.configMap.name ?? '', namespace });
      } catch (err) {
        if ((err as { code?: number }).code === 404) return `configmap "${volume.configMap.name}" not found`;
        throw err;
      }
      for (const [key, value] of Object.entries(configMap.data ?? {})) writeFileSync(join(dir, key), value);
      return undefined;
    }
    return `volume ${volume.name}: only projected tokens and ConfigMaps are supported here`;
  }
}
