// The status a MeshRoute should show, from what the snapshot builder decided about it and
// what the proxies acknowledged. Pure; conditions keep their lastTransitionTime unless their
// status flips, so a status write happens only when something a reader cares about changed.
import type { Condition } from '../../crds/common.js';
import type { MeshRoute, MeshRouteStatus } from '../../crds/meshroute.js';
import { canonicalize } from '../canonical-json.js';
import type { RouteOutcome } from './snapshot-builder.js';
import type { TakeoverReadiness } from './takeover-readiness.js';

export interface DataPlaneState {
  /** Content version of the namespace's snapshot. */
  version: string;
  /** Proxies that should serve the namespace (waypoint replicas, or connected proxies). */
  desired: number;
  /**
   * Proxies connected to the config server now. Readers need it apart from `desired`: a
   * waypoint whose pods never start (image pull failure) has desired 2 and connected 0, and
   * nothing will ever acknowledge a version; waiting for that would wait forever.
   */
  connected: number;
  /** Of the connected proxies, how many run `version`. */
  applied: number;
  /** A proxy rejected `version` (the text of its error), if any. */
  nack?: string;
}

function condition(
  previous: readonly Condition[] | undefined,
  type: string,
  value: boolean,
  reason: string,
  message: string,
  generation: number,
  now: string,
): Condition {
  const status = value ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: generation,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now,
  };
}

/**
 * `takeover`: whether the route's apex Service goes through the waypoint (or may now); a
 * route whose clients do not reach the waypoint yet is not Programmed, whatever the proxies run.
 */
export function routeStatus(route: MeshRoute, outcome: RouteOutcome, dataPlane: DataPlaneState, takeover: TakeoverReadiness, now: string): MeshRouteStatus {
  const generation = route.metadata.generation ?? 0;
  const previous = route.status?.conditions;
  if (!outcome.accepted) {
    return {
      observedGeneration: generation,
      conditions: [
        condition(previous, 'Accepted', false, outcome.reason, outcome.message, generation, now),
        condition(previous, 'Programmed', false, 'NotAccepted', 'the route is not accepted, so no proxy serves it', generation, now),
      ],
    };
  }
  const pendingTakeover = takeover.ready ? undefined : takeover.message;
  const programmed = pendingTakeover === undefined && dataPlane.desired > 0 && dataPlane.applied >= dataPlane.desired && dataPlane.nack === undefined;
  return {
    observedGeneration: generation,
    listenerPort: outcome.listenerPort,
    conditions: [
      condition(previous, 'Accepted', true, 'Accepted', `served on waypoint listener port ${outcome.listenerPort}`, generation, now),
      condition(previous, 'Programmed', programmed, programmedReason(programmed, dataPlane, pendingTakeover), programmedMessage(dataPlane, pendingTakeover), generation, now),
    ],
    proxies: { desired: dataPlane.desired, connected: dataPlane.connected, applied: dataPlane.applied, version: dataPlane.version },
  };
}

function programmedMessage(dataPlane: DataPlaneState, pendingTakeover: string | undefined): string {
  if (dataPlane.nack !== undefined) return `a proxy rejected version ${dataPlane.version}: ${dataPlane.nack}`;
  if (pendingTakeover !== undefined) return pendingTakeover;
  if (dataPlane.desired === 0) return 'no waypoint proxy is running yet';
  if (dataPlane.connected === 0) return `none of the ${dataPlane.desired} waypoint proxies is connected to the operator: are the waypoint pods running?`;
  return `${dataPlane.applied}/${dataPlane.desired} proxies applied version ${dataPlane.version}`;
}

function programmedReason(programmed: boolean, dataPlane: DataPlaneState, pendingTakeover: string | undefined): string {
  if (programmed) return 'Programmed';
  if (dataPlane.nack !== undefined) return 'Rejected';
  return pendingTakeover !== undefined ? 'TakeoverPending' : 'Pending';
}

/** Whether a status write would change anything (key order and empty fields aside). */
export function statusChanged(before: MeshRouteStatus | undefined, after: MeshRouteStatus): boolean {
  return JSON.stringify(canonicalize(before ?? {})) !== JSON.stringify(canonicalize(after));
}
