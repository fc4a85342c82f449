// Whether a route may take its apex Service over yet. Pure.
//
// Pointing the Service at the waypoint hands its clients to whichever waypoint pods are ready
// endpoints at that moment (kube-proxy picks any of them), so before the switch every one of
// those pods must already serve the route's listener; a pod without it refuses the
// connection, which the client sees as an outage. A waypoint pod turns ready only after its
// proxy put its first snapshot in force (its /readyz), so pods that turn ready later already
// have the listener; it is the pods ready before the route existed that must catch up.
//
// With a waypoint Deployment of the operator's own, the condition is: the waypoint Service
// has at least one ready endpoint, every ready endpoint's pod has a connected proxy that
// acknowledged a snapshot with the listener, and so has every other connected proxy (a pod
// that just turned ready may not be in the EndpointSlices this operator has seen yet, but its
// proxy is connected). Without one (proxies run by someone else, who sends them traffic
// directly), the Service selects no pod of ours and there is no endpoint to check: at least
// one connected proxy must serve the listener.
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { WAYPOINT_NAME } from './waypoint.js';

export interface ProxyAck {
  /** The proxy's identity; a waypoint pod's proxy uses its pod's name. */
  proxyId: string;
  /** The version it acknowledged last, if any. */
  ackedVersion: string | undefined;
}

/** One endpoint of the waypoint Service's EndpointSlices, reduced to what matters here. */
export interface WaypointEndpoint {
  /** Name of the pod behind the endpoint (its targetRef), if any. */
  pod: string | undefined;
  address: string;
  /** EndpointConditions.ready; absent means ready (discovery.k8s.io/v1). */
  ready: boolean | undefined;
}

export interface TakeoverReadinessInput {
  /** The apex Service, for the message. */
  service: string;
  listener: ListenerRef;
  /** Each version this operator published, with the listeners it holds (see listenerKey). */
  listenersByVersion: ReadonlyMap<string, ReadonlySet<string>>;
  /** The connected proxies of the namespace. */
  proxies: readonly ProxyAck[];
  /** The endpoints of the operator's waypoint Service; undefined when the operator runs no waypoint. */
  waypointEndpoints: readonly WaypointEndpoint[] | undefined;
}

export interface ListenerRef {
  name: string;
  port: number;
}

export type TakeoverReadiness = { ready: true } | { ready: false; message: string };

/** How a listener is recorded per version: a listener serves a route by name and port together. */
export function listenerKey(listener: ListenerRef): string {
  return `${listener.name}:${listener.port}`;
}

/** Shown by name up to this many; the rest are counted. */
const LISTED = 3;

function listed(items: readonly string[]): string {
  const shown = items.slice(0, LISTED).join('; ');
  return items.length > LISTED ? `${shown}; and ${items.length - LISTED} more` : shown;
}

export function takeoverReadiness(input: TakeoverReadinessInput): TakeoverReadiness {
  const key = listenerKey(input.listener);
  const serves = (proxy: ProxyAck): boolean => proxy.ackedVersion !== undefined && input.listenersByVersion.get(proxy.ackedVersion)?.has(key) === true;
  const waiting = `waiting for a ready waypoint proxy with this route (listener ${input.listener.port}) before taking over Service ${input.service}`;

  if (input.waypointEndpoints === undefined) {
    if (input.proxies.some(serves)) return { ready: true };
    const why = input.proxies.length === 0 ? 'no proxy is connected to the operator' : `none of the ${input.proxies.length} connected proxies has applied it yet`;
    return { ready: false, message: `${waiting}: ${why}` };
  }

  const readyPods = new Map<string, WaypointEndpoint>();
  for (const endpoint of input.waypointEndpoints) {
    if (endpoint.ready === false) continue;
    readyPods.set(endpoint.pod ?? `address ${endpoint.address}`, endpoint);
  }
  if (readyPods.size === 0) {
    return { ready: false, message: `${waiting}: Service ${WAYPOINT_NAME} has no ready endpoint yet (${input.proxies.length} proxies connected)` };
  }
  const problems: string[] = [];
  let serving = 0;
  for (const [name, endpoint] of readyPods) {
    if (endpoint.pod === undefined) {
      problems.push(`endpoint ${endpoint.address} names no pod, so its proxy cannot be told apart`);
      continue;
    }
    const sessions = input.proxies.filter((p) => p.proxyId === endpoint.pod);
    if (sessions.length === 0) problems.push(`pod ${name} is ready but its proxy is not connected to the operator`);
    else if (!sessions.some(serves)) problems.push(`pod ${name} has not applied it yet`);
    else serving++;
  }
  for (const proxy of input.proxies) {
    if (readyPods.has(proxy.proxyId) || serves(proxy)) continue;
    problems.push(`proxy ${proxy.proxyId} (not a ready endpoint yet) has not applied it yet`);
  }
  if (problems.length === 0) return { ready: true };
  return { ready: false, message: `${waiting}: ${serving}/${readyPods.size} ready waypoint pods serve it; ${listed(problems)}` };
}

/** The endpoints of a Service's EndpointSlices (the waypoint Service's, here). */
export function endpointsOf(slices: readonly V1EndpointSlice[]): WaypointEndpoint[] {
  return slices.flatMap((slice) =>
    (slice.endpoints ?? []).map((e) => ({
      pod: e.targetRef?.kind === 'Pod' ? e.targetRef.name : undefined,
      address: e.addresses[0] ?? '',
      ready: e.conditions?.ready,
    })),
  );
}
