// When a route may point its apex Service at the waypoint: only once every waypoint pod that
// kube-proxy could send a client to serves the route's listener, so the hand-over refuses no
// connection. Without an operator-run waypoint, once a connected proxy serves it.
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { endpointsOf, listenerKey, takeoverReadiness, type ProxyAck, type TakeoverReadinessInput, type WaypointEndpoint } from '../../../../operator/meshroute/takeover-readiness.js';

const LISTENER = { name: 'web', port: 15100 };
/** v1: before the route existed; v2, v3: with it; v4: with it on another port (re-allocated). */
const VERSIONS = new Map<string, ReadonlySet<string>>([
  ['v1', new Set(['other:15101'])],
  ['v2', new Set(['other:15101', listenerKey(LISTENER)])],
  ['v3', new Set([listenerKey(LISTENER)])],
  ['v4', new Set(['web:15102'])],
]);
const WAITING = 'waiting for a ready waypoint proxy with this route (listener 15100) before taking over Service web';

const pod = (name: string, ready?: boolean): WaypointEndpoint => ({ pod: name, address: `198.18.0.${name.length}`, ready });
const proxy = (proxyId: string, ackedVersion?: string): ProxyAck => ({ proxyId, ackedVersion });

interface Row {
  case: string;
  proxies: ProxyAck[];
  /** undefined: no operator-run waypoint. */
  endpoints?: WaypointEndpoint[];
  expected: { ready: true } | { ready: false; message: string };
}

const rows: Row[] = [
  // Proxies run by someone else: one serving proxy is enough.
  { case: 'no waypoint, no proxy connected', proxies: [], expected: { ready: false, message: `${WAITING}: no proxy is connected to the operator` } },
  {
    case: 'no waypoint, the one proxy still on a version without the route',
    proxies: [proxy('p0', 'v1')],
    expected: { ready: false, message: `${WAITING}: none of the 1 connected proxies has applied it yet` },
  },
  { case: 'no waypoint, a proxy that has not acknowledged anything', proxies: [proxy('p0')], expected: { ready: false, message: `${WAITING}: none of the 1 connected proxies has applied it yet` } },
  { case: 'no waypoint, one of two proxies serves it', proxies: [proxy('p0', 'v1'), proxy('p1', 'v2')], expected: { ready: true } },
  { case: 'no waypoint, a proxy on a later version that still has it', proxies: [proxy('p0', 'v3')], expected: { ready: true } },
  {
    case: 'no waypoint, a proxy whose version has the route on another port',
    proxies: [proxy('p0', 'v4')],
    expected: { ready: false, message: `${WAITING}: none of the 1 connected proxies has applied it yet` },
  },
  {
    case: 'no waypoint, a proxy on a version this operator never published (or forgot)',
    proxies: [proxy('p0', 'v0')],
    expected: { ready: false, message: `${WAITING}: none of the 1 connected proxies has applied it yet` },
  },

  // The operator's waypoint: every ready pod, and every connected proxy, must serve it.
  {
    case: 'the waypoint just created: no endpoint, no proxy',
    proxies: [],
    endpoints: [],
    expected: { ready: false, message: `${WAITING}: Service sluice-waypoint has no ready endpoint yet (0 proxies connected)` },
  },
  {
    case: 'proxies connected and serving, but their pods not ready yet',
    proxies: [proxy('wp-a', 'v2'), proxy('wp-b', 'v2')],
    endpoints: [pod('wp-a', false), pod('wp-b', false)],
    expected: { ready: false, message: `${WAITING}: Service sluice-waypoint has no ready endpoint yet (2 proxies connected)` },
  },
  { case: 'both pods ready and serving it', proxies: [proxy('wp-a', 'v2'), proxy('wp-b', 'v3')], endpoints: [pod('wp-a', true), pod('wp-b', true)], expected: { ready: true } },
  { case: 'an endpoint without a ready condition counts as ready', proxies: [proxy('wp-a', 'v2')], endpoints: [pod('wp-a', undefined)], expected: { ready: true } },
  {
    case: 'one ready pod serving it, the other not yet ready (it will have it when it turns ready)',
    proxies: [proxy('wp-a', 'v2'), proxy('wp-b', 'v2')],
    endpoints: [pod('wp-a', true), pod('wp-b', false)],
    expected: { ready: true },
  },
  {
    case: 'a pod ready before the route existed, still on the old version',
    proxies: [proxy('wp-a', 'v2'), proxy('wp-b', 'v1')],
    endpoints: [pod('wp-a', true), pod('wp-b', true)],
    expected: { ready: false, message: `${WAITING}: 1/2 ready waypoint pods serve it; pod wp-b has not applied it yet` },
  },
  {
    case: 'a ready pod whose proxy is not connected (its snapshot is unknown)',
    proxies: [proxy('wp-a', 'v2')],
    endpoints: [pod('wp-a', true), pod('wp-b', true)],
    expected: { ready: false, message: `${WAITING}: 1/2 ready waypoint pods serve it; pod wp-b is ready but its proxy is not connected to the operator` },
  },
  {
    case: 'a connected proxy whose pod this operator has not seen ready yet, without the route',
    proxies: [proxy('wp-a', 'v2'), proxy('wp-c', 'v1')],
    endpoints: [pod('wp-a', true)],
    expected: { ready: false, message: `${WAITING}: 1/1 ready waypoint pods serve it; proxy wp-c (not a ready endpoint yet) has not applied it yet` },
  },
  {
    case: 'a ready pod reconnecting: its new stream has not acknowledged yet, its old one has',
    proxies: [proxy('wp-a', 'v2'), proxy('wp-a')],
    endpoints: [pod('wp-a', true)],
    expected: { ready: true },
  },
  {
    case: 'an endpoint that names no pod',
    proxies: [proxy('wp-a', 'v2')],
    endpoints: [pod('wp-a', true), { pod: undefined, address: '198.18.0.9', ready: true }],
    expected: { ready: false, message: `${WAITING}: 1/2 ready waypoint pods serve it; endpoint 198.18.0.9 names no pod, so its proxy cannot be told apart` },
  },
  {
    case: 'many pods behind: three named, the rest counted',
    proxies: [proxy('wp-a', 'v2')],
    endpoints: [pod('wp-a', true), pod('wp-b', true), pod('wp-c', true), pod('wp-d', true), pod('wp-e', true)],
    expected: {
      ready: false,
      message: `${WAITING}: 1/5 ready waypoint pods serve it; pod wp-b is ready but its proxy is not connected to the operator; pod wp-c is ready but its proxy is not connected to the operator; pod wp-d is ready but its proxy is not connected to the operator; and 1 more`,
    },
  },
];

describe('takeover readiness', () => {
  it.each(rows)('$case', ({ proxies, endpoints, expected }) => {
    const input: TakeoverReadinessInput = { service: 'web', listener: LISTENER, listenersByVersion: VERSIONS, proxies, waypointEndpoints: endpoints };
    expect(takeoverReadiness(input)).toEqual(expected);
  });

  it('reads the endpoints of EndpointSlices: pod, address and ready condition', () => {
    const slices: V1EndpointSlice[] = [
      {
        addressType: 'IPv4',
        metadata: { name: 'sluice-waypoint-abc', labels: { 'kubernetes.io/service-name': 'sluice-waypoint' } },
        endpoints: [
          { addresses: ['198.18.0.4'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'wp-a' } },
          { addresses: ['198.18.0.5'], conditions: { ready: false, serving: true, terminating: true }, targetRef: { kind: 'Pod', name: 'wp-b' } },
          { addresses: ['198.18.0.6'] },
        ],
      },
      { addressType: 'IPv4', metadata: { name: 'sluice-waypoint-def' }, endpoints: [] },
    ];
    expect(endpointsOf(slices)).toEqual([
      { pod: 'wp-a', address: '198.18.0.4', ready: true },
      { pod: 'wp-b', address: '198.18.0.5', ready: false },
      { pod: undefined, address: '198.18.0.6', ready: undefined },
    ]);
  });
});
