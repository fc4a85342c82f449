// Keeps the leader label on the leader's pod and off every other operator pod, so that the
// config server's Service (selecting on it) sends proxies straight to the leader instead of
// letting them bounce off standbys' 503s with a growing back-off. The label goes on when this
// process starts leading (after the config server serves), comes off when it stops or shuts
// down (before the config server stops serving), and is corrected at start (a container that
// crashed while leading) and every resync period (a write that failed, a leader that died
// without cleaning up: the leader takes others' labels off). Decisions: leader-label-plan.ts.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { KubeWriter } from '../kube-writer.js';
import { describeError, isNotFound } from '../runtime/kube-errors.js';
import { LEADER_LABEL, LEADER_LABEL_VALUE, leaderLabelPatches } from './leader-label-plan.js';

export interface LeaderPodLabelOptions {
  kubeConfig: KubeConfig;
  /** The operator's namespace, where its pods are. */
  namespace: string;
  /** This process's pod. */
  pod: string;
  log: Logger;
  registry: Registry;
  /** How often the labels are checked while running. Default 10 s. */
  resyncMs?: number;
}

const FIELD_MANAGER = 'sluice-leader-label';

export class LeaderPodLabel {
  private readonly core: CoreV1Api;
  private readonly writer: KubeWriter;
  private readonly log: Logger;
  private readonly labelled: Gauge;
  private readonly errors: Counter;
  private leading = false;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failures = 0;

  constructor(private readonly options: LeaderPodLabelOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.writer = new KubeWriter(options.kubeConfig, FIELD_MANAGER);
    this.log = options.log.child({ component: 'leader-pod-label', pod: options.pod });
    this.labelled = new Gauge({
      name: 'sluice_leader_pod_labelled',
      help: `1 while this operator's pod carries ${LEADER_LABEL}=${LEADER_LABEL_VALUE} (it leads and the config Service selects it).`,
      registers: [options.registry],
    });
    this.errors = new Counter({
      name: 'sluice_leader_pod_label_errors_total',
      help: 'Failed attempts to set or remove the leader label on operator pods.',
      registers: [options.registry],
    });
  }

  /** Corrects the labels now and then every resync period. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.sync();
  }

  /**
   * Labels or unlabels this pod; resolves when done or after `timeoutMs`, whichever comes first
   * (a leadership change must not hang on an API server that does not answer; the retry goes on).
   */
  async setLeading(leading: boolean, timeoutMs = 3_000): Promise<void> {
    this.leading = leading;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([this.sync(), timeout]);
    clearTimeout(timer);
  }

  /** Stops the resync (call after leadership has been given up, which removed the label). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
  }

  /** One pass after the ones already queued; passes never overlap. */
  private sync(): Promise<void> {
    this.chain = this.chain.then(() => this.pass());
    return this.chain;
  }

  private async pass(): Promise<void> {
    const { namespace, pod } = this.options;
    let ok = true;
    try {
      const list = await this.core.listNamespacedPod({ namespace, labelSelector: `${LEADER_LABEL}=${LEADER_LABEL_VALUE}` });
      const labelled = list.items.map((p) => p.metadata?.name ?? '').filter((name) => name !== '');
      const leading = this.leading;
      for (const patch of leaderLabelPatches({ self: pod, leading, labelled })) {
        try {
          await this.writer.mergePatch(
            { apiVersion: 'v1', kind: 'Pod', metadata: { name: patch.pod, namespace } },
            { metadata: { labels: { [LEADER_LABEL]: patch.label ? LEADER_LABEL_VALUE : null } } },
          );
          this.log.info({ target: patch.pod, leader: patch.label }, patch.label ? 'labelled this pod as the leader' : 'removed the leader label');
        } catch (err) {
          if (!isNotFound(err)) throw err;
          // Another pod gone is fine; our own pod missing means --pod-name is wrong.
          if (patch.pod === pod) {
            ok = false;
            this.errors.inc();
            this.log.error({ namespace }, `pod ${pod} does not exist in namespace ${namespace}: check --pod-name and --pod-namespace`);
          }
        }
      }
      this.labelled.set(leading && ok ? 1 : 0);
    } catch (err) {
      ok = false;
      this.errors.inc();
      this.log.error({ reason: describeError(err), leading: this.leading }, 'cannot update the leader label; retrying');
    }
    this.failures = ok ? 0 : this.failures + 1;
    this.schedule();
  }

  private schedule(): void {
    if (!this.running) return;
    const resync = this.options.resyncMs ?? 10_000;
    // Failures retry sooner: 500 ms doubling up to the resync period.
    const delay = this.failures === 0 ? resync : Math.min(resync, 500 * 2 ** Math.min(this.failures - 1, 10));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.sync(), delay);
    this.timer.unref();
  }
}
