// A MeshRoute's status from the snapshot builder's outcome and the data plane's state. The
// proxies' counts (desired, connected, applied) are what the canary controller reads to know
// whether a route is served, and whether anything could ever acknowledge it.
import type { MeshRoute } from '../../../../crds/meshroute.js';
import { routeStatus, statusChanged, type DataPlaneState } from '../../../../operator/meshroute/route-status.js';
import type { RouteOutcome } from '../../../../operator/meshroute/snapshot-builder.js';
import type { TakeoverReadiness } from '../../../../operator/meshroute/takeover-readiness.js';

const NOW = '2026-11-21T10:00:00.000Z';
const route: MeshRoute = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'MeshRoute',
  metadata: { name: 'podinfo', namespace: 'test', generation: 3 },
  spec: { service: 'podinfo', port: 80, rules: [{ name: 'default', backends: [{ service: 'podinfo-primary', port: 80, weight: 100 }] }] },
};
const accepted: RouteOutcome = { accepted: true, listenerPort: 15001, listenerName: 'podinfo' };
const TAKEN_OVER: TakeoverReadiness = { ready: true };
const WAITING = 'waiting for a ready waypoint proxy with this route (listener 15001) before taking over Service podinfo: Service sluice-waypoint has no ready endpoint yet (0 proxies connected)';
const programmed = (status: ReturnType<typeof routeStatus>) => status.conditions?.find((c) => c.type === 'Programmed');

interface Row {
  case: string;
  plane: DataPlaneState;
  takeover?: TakeoverReadiness;
  programmed: { status: string; reason: string; message: string };
}

describe('MeshRoute status', () => {
  it.each<Row>([
    {
      case: 'every proxy connected and on the version',
      plane: { version: 'v9', desired: 2, connected: 2, applied: 2 },
      programmed: { status: 'True', reason: 'Programmed', message: '2/2 proxies applied version v9' },
    },
    {
      case: 'one proxy of two still on an older version',
      plane: { version: 'v9', desired: 2, connected: 2, applied: 1 },
      programmed: { status: 'False', reason: 'Pending', message: '1/2 proxies applied version v9' },
    },
    {
      case: 'a waypoint whose proxies never connect (image pull failure)',
      plane: { version: 'v9', desired: 2, connected: 0, applied: 0 },
      programmed: { status: 'False', reason: 'Pending', message: 'none of the 2 waypoint proxies is connected to the operator: are the waypoint pods running?' },
    },
    {
      case: 'no waypoint at all',
      plane: { version: 'v9', desired: 0, connected: 0, applied: 0 },
      programmed: { status: 'False', reason: 'Pending', message: 'no waypoint proxy is running yet' },
    },
    {
      case: 'a proxy that rejected the version',
      plane: { version: 'v9', desired: 1, connected: 1, applied: 0, nack: 'unknown backend "x"' },
      programmed: { status: 'False', reason: 'Rejected', message: 'a proxy rejected version v9: unknown backend "x"' },
    },
    {
      case: 'every proxy on the version, but the apex Service not taken over yet',
      plane: { version: 'v9', desired: 2, connected: 2, applied: 2 },
      takeover: { ready: false, message: WAITING },
      programmed: { status: 'False', reason: 'TakeoverPending', message: WAITING },
    },
    {
      case: 'a takeover waiting on proxies that are not connected',
      plane: { version: 'v9', desired: 2, connected: 0, applied: 0 },
      takeover: { ready: false, message: WAITING },
      programmed: { status: 'False', reason: 'TakeoverPending', message: WAITING },
    },
    {
      case: 'a takeover waiting on a proxy that rejected the version (the rejection says more)',
      plane: { version: 'v9', desired: 1, connected: 1, applied: 0, nack: 'port 15001 in use' },
      takeover: { ready: false, message: WAITING },
      programmed: { status: 'False', reason: 'Rejected', message: 'a proxy rejected version v9: port 15001 in use' },
    },
  ])('reports the proxies and Programmed with $case', ({ plane, takeover, programmed: expected }) => {
    const status = routeStatus(route, accepted, plane, takeover ?? TAKEN_OVER, NOW);
    expect(status.proxies).toEqual({ desired: plane.desired, connected: plane.connected, applied: plane.applied, version: plane.version });
    expect(programmed(status)).toMatchObject({ ...expected, observedGeneration: 3, lastTransitionTime: NOW });
    expect(status.listenerPort).toBe(15001);
  });

  it('leaves the proxies out of a route it does not accept', () => {
    const status = routeStatus(route, { accepted: false, reason: 'ServiceNotFound', message: 'Service podinfo not found' }, { version: 'v9', desired: 2, connected: 2, applied: 2 }, TAKEN_OVER, NOW);
    expect(status.proxies).toBeUndefined();
    expect(programmed(status)).toMatchObject({ status: 'False', reason: 'NotAccepted' });
  });

  it('is written again when only the connected count changes', () => {
    const before = routeStatus(route, accepted, { version: 'v9', desired: 2, connected: 2, applied: 1 }, TAKEN_OVER, NOW);
    const after = routeStatus({ ...route, status: before }, accepted, { version: 'v9', desired: 2, connected: 1, applied: 1 }, TAKEN_OVER, '2026-11-21T10:00:05.000Z');
    expect(statusChanged(before, after)).toBe(true);
    // The condition did not flip: it keeps its transition time.
    expect(programmed(after)?.lastTransitionTime).toBe(NOW);
  });
});
