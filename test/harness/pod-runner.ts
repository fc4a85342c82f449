// The "kubelet" of the test environment and the playground: watches pods (a cached list+watch
// that relists on 410 Gone), and for every pod that kwok runs and whose first container is a
// program it knows (pod-launch.ts) it runs a real process on the pod's address mapped onto
// loopback:
//
// - waypoint pods (`sluice-proxy`, created by the operator) run dist/proxy/main.js with the
//   pod's own args and env, and a real ServiceAccount token from the TokenRequest API, bound
//   to the pod, with the audience and lifetime of the pod's projected volume (renewed at 80%
//   of its lifetime, as the kubelet does);
// - application pods (image `.../demo-app:TAG`) run the demo app with VERSION, ERROR_RATE,
//   LATENCY_MS from the pod's env.
//
// A pod becomes Ready only once its process listens and passes the pod's readiness probe
// (kwok-stages.yaml, pod-process.ts). A process that exits while its pod lives is restarted
// with a back-off. When the pod is deleted, its process keeps serving for a termination grace
// (the pod is Terminating meanwhile and its endpoint not ready, as on a real node, while the
// endpoint change reaches the proxies), then gets SIGTERM (and SIGKILL 5 s later); then the
// runner tells kwok, which deletes the pod and only then hands its address to another pod.
//
//   const runner = await PodRunner.start({ kubeConfig, namespace, dir });
//   ... runner.pods() ...
//   await runner.stop();
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { mapAddress, parseAddressMapping } from '../../operator/address-map.js';
import { Informer } from '../../operator/runtime/informer.js';
import { Resources } from '../../operator/runtime/resource-type.js';
import { repoRoot } from './binaries.js';
import { POD_ADDRESS_MAPPING } from './control-plane.js';
import { ManagedProcess } from './managed-process.js';
import { launchPlan, type LaunchPlan, type ObjectFiles, type ProgramName, type TokenFile } from './pod-launch.js';
import { markPodProcess } from './pod-process.js';

const mapping = [parseAddressMapping(POD_ADDRESS_MAPPING)];

export interface PodRunnerOptions {
  kubeConfig: k8s.KubeConfig;
  /** Namespace whose pods to run; absent: every namespace. */
  namespace?: string;
  labelSelector?: string;
  /** Logs of the processes, tokens and mounted files (one directory per pod). */
  dir: string;
  /**
   * How long a deleted pod's process keeps serving before SIGTERM, at most the pod's own
   * terminationGracePeriodSeconds; kwok deletes the pod 10 s after its deletion at the latest,
   * so keep it below that. Default 3 s.
   */
  terminationGraceMs?: number;
  /** One line per thing the runner does (start, ready, restart, stop). */
  log?: (line: string) => void;
}

export type PodProcessState = 'starting' | 'ready' | 'terminating' | 'stopped';

export interface PodProcessInfo {
  namespace: string;
  name: string;
  uid: string;
  program: ProgramName;
  /** Loopback address the process listens on. */
  address: string;
  state: PodProcessState;
  pid: number | undefined;
  restarts: number;
  logFile: string;
  /** Epoch ms. */
  startedAt: number;
  readyAt?: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

function describe(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string' && body) return body.slice(0, 300);
  return err instanceof Error ? err.message : String(err);
}

function httpReady(host: string, port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet({ host, port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function tcpReady(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function writeAtomically(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  // Readers (the proxy reads its token on every connect) never see a half-written file.
  renameSync(tmp, path);
}

/** One pod's process, from claim to stop. */
class PodProcess {
  readonly info: PodProcessInfo;
  private proc: ManagedProcess | undefined;
  private readonly abort = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly renewals = new Map<string, NodeJS.Timeout>();
  private stopping: Promise<void> | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly runner: PodRunner,
    private readonly pod: k8s.V1Pod,
    readonly plan: LaunchPlan,
    private readonly podDir: string,
  ) {
    this.info = {
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '',
      program: plan.program,
      address: plan.address,
      state: 'starting',
      pid: undefined,
      restarts: 0,
      logFile: join(podDir, `${plan.program}.log`),
      startedAt: Date.now(),
    };
  }

  get key(): string {
    return `${this.info.namespace}/${this.info.name}`;
  }

  start(): void {
    this.running = this.run().catch((err: unknown) => this.runner.note(`${this.key}: ${describe(err)}`));
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    // What a kubelet does before starting a container; an API hiccup here is retried, as the
    // kubelet retries a pod stuck in ContainerCreating.
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await this.prepare();
        break;
      } catch (err) {
        const delay = Math.min(500 * 2 ** attempt, 10_000);
        this.runner.note(`${this.key}: preparing failed (${describe(err)}); retrying in ${delay} ms`);
        await sleep(delay, signal);
      }
    }
    if (signal.aborted) return;
    if (this.plan.ignored.length > 0) this.runner.note(`${this.key}: not reproduced locally: ${this.plan.ignored.join('; ')}`);
    let backoffMs = 1000;
    while (!signal.aborted) {
      const started = Date.now();
      const exited = this.spawn().waitForExit();
      const ready = await this.waitReady(exited);
      if (ready && !signal.aborted) {
        this.info.state = 'ready';
        this.info.readyAt ??= Date.now();
        this.runner.note(`${this.key}: ${this.plan.program} ready on ${this.plan.address} after ${Date.now() - this.info.startedAt} ms`);
        await this.markListening();
        this.runner.changed();
      }
      await Promise.race([exited, sleep(2 ** 31 - 1, signal)]);
      if (signal.aborted) return;
      // Exited while its pod lives: restart as the kubelet would, after a back-off.
      const lived = Date.now() - started;
      if (lived > 30_000) backoffMs = 1000;
      this.runner.note(`${this.key}: ${this.proc?.describeExit() ?? 'exited'}\nrestarting in ${backoffMs} ms`);
      this.info.restarts++;
      await sleep(backoffMs, signal);
      backoffMs = Math.min(backoffMs * 2, 10_000);
    }
  }

  /** Claims the pod and materialises its volumes. */
  private async prepare(): Promise<void> {
    // Claim first: kwok's fallback would otherwise make the pod Ready 2 s after it started.
    await markPodProcess(this.runner.core, this.pod, 'starting');
    for (const dir of this.plan.dirs) mkdirSync(dir, { recursive: true });
    for (const token of this.plan.tokens) await this.writeToken(token);
    for (const objects of this.plan.objects) await this.writeObjects(objects);
  }

  /** Tells kwok the process listens (it marks the pod Ready); retried until it lands or the pod goes. */
  private async markListening(): Promise<void> {
    const signal = this.abort.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await markPodProcess(this.runner.core, this.pod, 'listening');
        return;
      } catch (err) {
        const delay = Math.min(200 * 2 ** attempt, 5_000);
        this.runner.note(`${this.key}: marking the pod listening failed (${describe(err)}); retrying in ${delay} ms`);
        await sleep(delay, signal);
      }
    }
  }

  private spawn(): ManagedProcess {
    const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    // Inherited so that the test run's leak check finds the process if it outlives the run.
    if (process.env.SLUICE_TEST_RUN) baseEnv.SLUICE_TEST_RUN = process.env.SLUICE_TEST_RUN;
    this.proc = new ManagedProcess({
      name: `${this.plan.program} ${this.key}`,
      command: process.execPath,
      args: [join(repoRoot, this.plan.script), ...this.plan.args],
      env: { ...baseEnv, ...this.plan.env },
      logFile: this.info.logFile,
      cwd: this.podDir,
    });
    this.info.pid = this.proc.pid;
    this.runner.note(`${this.key}: started ${this.plan.program} on ${this.plan.address} (pid ${this.proc.pid ?? '?'})`);
    this.runner.changed();
    return this.proc;
  }

  /** Polls the readiness probe until it passes; false when the process exits or the pod goes first. */
  private async waitReady(exited: Promise<void>): Promise<boolean> {
    const readiness = this.plan.readiness;
    if (!readiness) return true;
    let gone = false;
    void exited.then(() => (gone = true));
    const signal = this.abort.signal;
    let warned = false;
    while (!signal.aborted && !gone) {
      const ok = readiness.path !== undefined ? await httpReady(this.plan.address, readiness.port, readiness.path) : await tcpReady(this.plan.address, readiness.port);
      if (ok) return true;
      if (!warned && Date.now() - this.info.startedAt > 60_000) {
        warned = true;
        this.runner.note(`${this.key}: still not ready after 60 s (${readiness.path ?? 'tcp'} on port ${readiness.port}); last log lines:\n${this.proc?.tail(5) ?? ''}`);
      }
      await sleep(100, signal);
    }
    return false;
  }

  private async writeToken(token: TokenFile): Promise<void> {
    const response = await this.runner.core.createNamespacedServiceAccountToken({
      name: token.serviceAccount,
      namespace: this.info.namespace,
      body: {
        spec: {
          audiences: token.audiences,
          expirationSeconds: token.expirationSeconds,
          // Bound to the pod: the token stops working when the pod is gone, as a projected one does.
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: this.info.name, uid: this.info.uid },
        },
      },
    });
    writeAtomically(token.path, response.status?.token ?? '');
    const expires = response.status?.expirationTimestamp ? new Date(response.status.expirationTimestamp).getTime() : Date.now() + token.expirationSeconds * 1000;
    this.scheduleRenewal(token, Math.max(1000, (expires - Date.now()) * 0.8));
  }

  /** One pending renewal per token; a failed renewal is tried again 10 s later, while the token still works. */
  private scheduleRenewal(token: TokenFile, inMs: number): void {
    const previous = this.renewals.get(token.path);
    if (previous) clearTimeout(previous);
    const timer = setTimeout(() => {
      this.renewals.delete(token.path);
      if (this.abort.signal.aborted) return;
      this.writeToken(token).catch((err: unknown) => {
        this.runner.note(`${this.key}: renewing the token failed: ${describe(err)}; retrying in 10 s`);
        this.scheduleRenewal(token, 10_000);
      });
    }, inMs);
    timer.unref();
    this.renewals.set(token.path, timer);
  }

  private async writeObjects(objects: ObjectFiles): Promise<void> {
    const signal = this.abort.signal;
    // The kubelet keeps a pod in ContainerCreating until a volume's object exists.
    for (let attempt = 0; !signal.aborted; attempt++) {
      let data: Record<string, Buffer> | undefined;
      try {
        if (objects.kind === 'ConfigMap') {
          const cm = await this.runner.core.readNamespacedConfigMap({ name: objects.name, namespace: this.info.namespace });
          data = Object.fromEntries([
            ...Object.entries(cm.data ?? {}).map(([k, v]) => [k, Buffer.from(v)] as const),
            ...Object.entries(cm.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')] as const),
          ]);
        } else {
          const secret = await this.runner.core.readNamespacedSecret({ name: objects.name, namespace: this.info.namespace });
          data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')] as const));
        }
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
        if (objects.optional) return;
        if (attempt === 0) this.runner.note(`${this.key}: waiting for ${objects.kind} ${objects.name}`);
        await sleep(1000, signal);
        continue;
      }
      const items = objects.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        const value = data[item.key];
        if (value !== undefined) writeAtomically(join(objects.dir, item.path), value);
      }
      return;
    }
  }

  /**
   * The pod is being deleted: keep serving for `graceMs`, then stop; with `report`, tell kwok
   * the process stopped so that it deletes the pod and frees its address.
   */
  terminate(graceMs: number, report = false): Promise<void> {
    if (this.info.state !== 'stopped') this.info.state = 'terminating';
    this.runner.changed();
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.running;
      if (graceMs > 0 && this.proc?.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.finishGrace = undefined;
            resolve();
          }, graceMs);
          this.timers.add(timer);
          this.finishGrace = () => {
            clearTimeout(timer);
            this.timers.delete(timer);
            resolve();
          };
        });
      }
      await this.proc?.stop();
      if (report) await markPodProcess(this.runner.core, this.pod, 'stopped').catch((err: unknown) => this.runner.note(`${this.key}: ${describe(err)}`));
      for (const timer of [...this.timers, ...this.renewals.values()]) clearTimeout(timer);
      this.timers.clear();
      this.renewals.clear();
      this.info.state = 'stopped';
      this.runner.note(`${this.key}: stopped ${this.plan.program} on ${this.plan.address}`);
      this.runner.changed();
    })();
    return this.stopping;
  }

  private finishGrace: (() => void) | undefined;

  /** Stops at once (its address is needed by a new pod, or the runner stops). */
  stopNow(): Promise<void> {
    const stopping = this.terminate(0);
    this.finishGrace?.();
    return stopping;
  }
}

export class PodRunner {
  readonly core: k8s.CoreV1Api;
  private readonly informer: Informer<k8s.V1Pod>;
  private readonly processes = new Map<string, PodProcess>();
  /** Every process that may still hold its address (running or serving its grace), by address. */
  private readonly byAddress = new Map<string, PodProcess>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly listeners = new Set<() => void>();
  private readonly logger: Logger;
  private readonly terminationGraceMs: number;
  private stopped = false;

  private constructor(private readonly options: PodRunnerOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.core = options.kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.terminationGraceMs = options.terminationGraceMs ?? 3000;
    this.logger = pino({ level: 'info', base: { component: 'pod-runner' } }, pino.destination({ dest: join(options.dir, 'pod-runner.log'), sync: true }));
    this.informer = new Informer(options.kubeConfig, {
      resource: Resources.Pod,
      namespace: options.namespace,
      labelSelector: options.labelSelector,
      log: this.logger,
      // Level-triggered anyway; a resync now and then repairs anything missed.
      resyncPeriodMs: 60_000,
      backoff: { initialMs: 100, maxMs: 2_000, jitter: 0.5 },
    });
    const enqueue = (pod: k8s.V1Pod): void => this.enqueue(`${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`);
    this.informer.addHandler({ onAdd: enqueue, onUpdate: (_old, pod) => enqueue(pod), onDelete: enqueue });
  }

  static async start(options: PodRunnerOptions): Promise<PodRunner> {
    const runner = new PodRunner(options);
    runner.informer.start();
    const timeout = AbortSignal.timeout(30_000);
    if (!(await runner.informer.waitForSync(timeout))) {
      const why = runner.informer.lastError ?? 'timed out';
      await runner.stop();
      throw new Error(`pod runner: cannot list pods: ${why}`);
    }
    return runner;
  }

  /** The processes the runner holds now (including those serving their termination grace). */
  pods(): PodProcessInfo[] {
    const all = new Set<PodProcess>([...this.processes.values(), ...this.byAddress.values()]);
    return [...all].map((p) => ({ ...p.info })).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  /** Calls `listener` whenever a process starts, becomes ready or stops; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal */
  changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** @internal */
  note(line: string): void {
    this.logger.info(line);
    this.options.log?.(line);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.informer.stop();
    await Promise.all([...this.chains.values()]);
    const all = new Set<PodProcess>([...this.processes.values(), ...this.byAddress.values()]);
    await Promise.all([...all].map((p) => p.stopNow()));
    this.processes.clear();
    this.byAddress.clear();
    this.logger.flush();
  }

  private enqueue(key: string): void {
    if (this.stopped) return;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.reconcile(key)).catch((err: unknown) => this.note(`${key}: ${describe(err)}`));
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  private async reconcile(key: string): Promise<void> {
    if (this.stopped) return;
    const [namespace = '', name = ''] = key.split('/');
    const pod = this.informer.get(namespace, name);
    const live = pod && pod.status?.podIP && pod.status.phase === 'Running' && !pod.metadata?.deletionTimestamp ? pod : undefined;
    const current = this.processes.get(key);
    if (current && (!live || current.info.uid !== live.metadata?.uid)) {
      this.processes.delete(key);
      const podGrace = (pod?.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
      const terminating = current.terminate(Math.min(this.terminationGraceMs, podGrace), true);
      void terminating.then(() => {
        if (this.byAddress.get(current.info.address) === current) this.byAddress.delete(current.info.address);
      });
    }
    if (!live || this.processes.has(key)) return;
    const podDir = join(this.options.dir, namespace, name);
    const plan = launchPlan(live, { mapAddress: (ip) => mapAddress(ip, mapping), podDir });
    if (!plan) return;
    // kwok hands a deleted pod's address to the next pod at once; a real node would not.
    const holder = this.byAddress.get(plan.address);
    if (holder) {
      this.note(`${key}: ${plan.address} still held by ${holder.key} (terminating); stopping it now`);
      await holder.stopNow();
    }
    if (this.stopped) return;
    mkdirSync(podDir, { recursive: true });
    const started = new PodProcess(this, live, plan, podDir);
    this.processes.set(key, started);
    this.byAddress.set(plan.address, started);
    started.start();
  }
}
