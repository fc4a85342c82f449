// Everything the playground runs besides its clients: the local control plane (own pod
// address block), Sluice's CRDs, the operator as a process (as the tests run it:
// test/harness/sluice-processes.ts), the pod runner that gives every pod of the demo app
// and of the waypoint a real process, and the receiver of the AlertProvider's
// notifications. Started one piece at a time so that the screen can show each step; stop()
// stops whatever was started, in reverse order, and leaves no process behind.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { installCrds } from '../crds/install.js';
import { WAYPOINT_TOKEN_AUDIENCE } from '../operator/meshroute/waypoint.js';
import { repoRoot } from '../test/harness/binaries.js';
import { ControlPlane, freePort, POD_ADDRESS_MAPPING } from '../test/harness/control-plane.js';
import { ManagedProcess } from '../test/harness/managed-process.js';
import { PodRunner } from '../test/harness/pod-runner.js';
import { NotificationReceiver, type ReceivedNotification } from './notification-receiver.js';

/** The waypoint's image: the pod runner runs `sluice-proxy` (the container's command) for it, whatever the image. */
const WAYPOINT_IMAGE = 'sluice.dev/sluice-proxy:playground';

export class PlaygroundCluster {
  plane: ControlPlane | undefined;
  operator: ManagedProcess | undefined;
  runner: PodRunner | undefined;
  readonly receiver: NotificationReceiver;

  constructor(
    readonly dir: string,
    onNotification: (n: ReceivedNotification) => void,
  ) {
    this.receiver = new NotificationReceiver(onNotification);
  }

  get kubeConfig(): k8s.KubeConfig {
    if (!this.plane) throw new Error('the control plane is not running');
    return this.plane.kubeConfig();
  }

  async startControlPlane(): Promise<ControlPlane> {
    this.plane = await ControlPlane.start();
    return this.plane;
  }

  async installCrds(): Promise<void> {
    await installCrds(this.kubeConfig, { fieldManager: 'sluice-playground' });
  }

  /** The receiver's URL, for the AlertProvider's Secret. */
  async startReceiver(): Promise<string> {
    return this.receiver.start();
  }

  async startOperator(): Promise<ManagedProcess> {
    if (!this.plane) throw new Error('the control plane is not running');
    const configPort = await freePort();
    // The user's SLUICE_* settings (say SLUICE_WATCH_NAMESPACE) must not change the demo.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLUICE_') || k === 'SLUICE_TEST_RUN'));
    this.operator = new ManagedProcess({
      name: 'sluice-operator',
      command: process.execPath,
      args: [
        join(repoRoot, 'dist/operator/main.js'),
        `--kubeconfig=${this.plane.kubeconfigPath}`,
        // Every namespace: the user may try a Canary of their own anywhere.
        '--no-leader-elect',
        '--insecure-plaintext',
        '--config-host=127.0.0.1',
        `--config-port=${configPort}`,
        '--admin-host=127.0.0.1',
        '--admin-port=0',
        `--endpoint-address-map=${POD_ADDRESS_MAPPING}`,
        '--config-debounce=20ms',
        `--waypoint-image=${WAYPOINT_IMAGE}`,
        '--waypoint-replicas=2',
        `--waypoint-config-server-url=http://127.0.0.1:${configPort}`,
        `--token-audience=${WAYPOINT_TOKEN_AUDIENCE}`,
      ],
      env,
      logFile: join(this.dir, 'sluice-operator.log'),
    });
    return this.operator;
  }

  async startPodRunner(): Promise<PodRunner> {
    const podsDir = join(this.dir, 'pods');
    mkdirSync(podsDir, { recursive: true });
    this.runner = await PodRunner.start({ kubeConfig: this.kubeConfig, dir: podsDir });
    return this.runner;
  }

  /** Components that died on their own, with the end of their logs. */
  crashed(): string[] {
    const dead = this.plane?.crashed() ?? [];
    if (this.operator && !this.operator.running) dead.push(this.operator.describeExit());
    return dead;
  }

  /**
   * Stops everything started, newest first; `report` hears each step. With `keepLogs` the
   * control plane's component logs are copied out first; returns where to.
   */
  async stop(report: (line: string) => void, keepLogs: boolean): Promise<string | undefined> {
    if (this.operator) {
      report('stopping the operator');
      await this.operator.stop();
    }
    if (this.runner) {
      const count = this.runner.pods().length;
      report(`stopping the pods' processes (${count})`);
      await this.runner.stop();
    }
    report('stopping the notification receiver');
    await this.receiver.stop();
    if (!this.plane) return undefined;
    report('stopping the control plane (kwok, scheduler, controller-manager, kube-apiserver, etcd)');
    return this.plane.stop({ keepLogs });
  }
}
