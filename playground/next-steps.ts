// What the playground prints once both rollouts are over: how long each step took, and how
// to reach the cluster it leaves running. Pure.
import { ALERT_PROVIDER, APP, NAMESPACE } from './scenario.js';
import { seconds } from './live-view.js';
import type { RolloutOutcome } from './rollout-outcome.js';

export interface RolloutTiming {
  /** "Rollout 1: v2, healthy" */
  label: string;
  expected: RolloutOutcome;
  outcome: RolloutOutcome | 'timed out';
  /** Since the playground started, ms. */
  startedAt: number;
  endedAt: number;
  /** Requests the clients sent while it ran, and how many of them failed. */
  requests: number;
  failed: number;
  /** The AlertProvider's receiver got the rollout's final notification (Promoted or RolledBack). */
  notified: boolean;
}

export interface Timings {
  controlPlaneReady?: number;
  /** The Canary had initialized: the demo served through the waypoint. */
  canaryReady?: number;
  rollouts: readonly RolloutTiming[];
}

export function timingLines(t: Timings, totalMs: number, clients: string): string[] {
  const width = Math.max(36, ...t.rollouts.map((r) => r.label.length));
  const row = (label: string, text: string): string => `  ${`${label}:`.padEnd(width + 1)} ${text}`;
  const lines = ['Timings (since the playground started):'];
  if (t.controlPlaneReady !== undefined) lines.push(row('control plane ready', `at ${seconds(t.controlPlaneReady)}`));
  if (t.canaryReady !== undefined) lines.push(row('demo v1 served through the waypoint', `at ${seconds(t.canaryReady)}`));
  for (const r of t.rollouts) {
    const failed = r.failed === 0 ? 'no failed requests' : `${r.failed} of ${r.requests} requests failed`;
    const notified = r.notified ? 'notified' : 'no notification received';
    lines.push(row(r.label, `${r.outcome} at ${seconds(r.endedAt)} (${seconds(r.endedAt - r.startedAt)} after the new revision; ${failed}; ${notified})`));
  }
  lines.push(row('all done', `at ${seconds(totalMs)}; clients: ${clients}`));
  return lines;
}

/** Every rollout ended as the playground means it to: the healthy one promoted, the faulty one rolled back. */
export function asExpected(t: Timings, rollouts: number): boolean {
  return t.rollouts.length === rollouts && t.rollouts.every((r) => r.outcome === r.expected);
}

export interface NextStepsInput {
  kubeconfigPath: string;
  /** Absolute path of dist/cli/main.js. */
  cliPath: string;
  logDir: string;
  kubectlFound: boolean;
}

export function nextStepsLines(input: NextStepsInput): string[] {
  const kubectl = [
    `  kubectl get canaries,meshroutes -A`,
    `  kubectl set env deployment/${APP} VERSION=v4 ERROR_RATE=0   # another (healthy) revision: watch it roll out`,
  ];
  return [
    'The cluster stays up until you press Ctrl-C. In another shell:',
    '',
    `  export KUBECONFIG=${input.kubeconfigPath}`,
    `  alias kubectl-sluice="node ${input.cliPath}"`,
    `  kubectl-sluice get -A                  # every Canary: phase, weight, failed checks`,
    `  kubectl-sluice status ${APP} --watch       # the demo's Canary, live`,
    `  kubectl-sluice pause|resume|promote|abort ${APP}   # steer a rollout in progress`,
    '',
    input.kubectlFound ? 'With kubectl:' : 'kubectl is not installed here; with it you could also:',
    ...kubectl,
    '',
    `Your own Canary works in any namespace: the operator watches them all. A pod runs for real`,
    `when its image is <registry>/demo-app:<tag> (env VERSION, ERROR_RATE 0..1, LATENCY_MS);`,
    `pods of other images become Ready (kwok) but nothing answers on their addresses.`,
    `Notifications to the AlertProvider "${ALERT_PROVIDER}" (namespace ${NAMESPACE}) keep printing below.`,
    `Logs of every process: ${input.logDir}`,
  ];
}
