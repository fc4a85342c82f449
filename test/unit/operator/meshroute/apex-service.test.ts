import type { V1Service } from '@kubernetes/client-node';
import { ORIGINAL_SPEC_ANNOTATION, releasePatch, routesThroughListener, takeoverPatch } from '../../../../operator/meshroute/apex-service.js';
import { WAYPOINT_SELECTOR } from '../../../../operator/meshroute/waypoint.js';

const userService: V1Service = {
  metadata: { name: 'podinfo', namespace: 'ns' },
  spec: {
    selector: { app: 'podinfo' },
    ports: [
      { name: 'http', port: 9898, targetPort: 'http' },
      { name: 'grpc', port: 9999 },
    ],
  },
};

/** RFC 7386 JSON merge patch, as the API server applies it. */
function mergeMap(target: Record<string, string> | undefined, patch: Record<string, string | null> | null): Record<string, string> | undefined {
  if (patch === null) return undefined;
  const out = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

function apply(service: V1Service, patch: ReturnType<typeof takeoverPatch>): V1Service {
  if (!patch) return service;
  return {
    metadata: { ...service.metadata, annotations: mergeMap(service.metadata?.annotations, patch.metadata.annotations) ?? {} },
    spec: { ...service.spec, selector: mergeMap(service.spec?.selector, patch.spec.selector), ports: patch.spec.ports },
  };
}

describe('apex Service takeover', () => {
  const input = { routeName: 'podinfo', port: 9898, listenerPort: 15100, waypointSelector: WAYPOINT_SELECTOR };

  it('points the routed port at the waypoint listener and remembers the original', () => {
    const patch = takeoverPatch({ ...input, service: userService });
    expect(patch?.spec.selector).toEqual({ app: null, ...WAYPOINT_SELECTOR });
    expect(apply(userService, patch).spec?.selector).toEqual(WAYPOINT_SELECTOR);
    expect(patch?.spec.ports).toEqual([
      { name: 'http', port: 9898, targetPort: 15100 },
      { name: 'grpc', port: 9999 },
    ]);
    expect(JSON.parse(patch?.metadata.annotations[ORIGINAL_SPEC_ANNOTATION] ?? '')).toEqual({
      selector: { app: 'podinfo' },
      ports: [
        { port: 9898, targetPort: 'http' },
        { port: 9999, targetPort: null },
      ],
    });
  });

  it('is idempotent and keeps the first original across repeated takeovers', () => {
    const taken = apply(userService, takeoverPatch({ ...input, service: userService }));
    expect(takeoverPatch({ ...input, service: taken })).toBeUndefined();
    const moved = apply(taken, takeoverPatch({ ...input, listenerPort: 15101, service: taken }));
    expect(moved.spec?.ports?.[0]?.targetPort).toBe(15101);
    expect(JSON.parse(moved.metadata?.annotations?.[ORIGINAL_SPEC_ANNOTATION] ?? '').selector).toEqual({ app: 'podinfo' });
  });

  it('gives the Service back exactly as it was', () => {
    const taken = apply(userService, takeoverPatch({ ...input, service: userService }));
    const restored = apply(taken, releasePatch(taken));
    expect(restored.spec?.selector).toEqual({ app: 'podinfo' });
    expect(restored.spec?.ports).toEqual(userService.spec?.ports);
    expect(restored.metadata?.annotations?.[ORIGINAL_SPEC_ANNOTATION]).toBeUndefined();
  });

  it('does nothing to a Service it never took over', () => {
    expect(releasePatch(userService)).toBeUndefined();
  });

  it.each([
    { case: "the user's own Service", service: () => userService, listenerPort: 15100, expected: false },
    { case: 'a Service taken over onto this listener', service: () => apply(userService, takeoverPatch({ ...input, service: userService })), listenerPort: 15100, expected: true },
    { case: 'a Service taken over onto another listener', service: () => apply(userService, takeoverPatch({ ...input, service: userService })), listenerPort: 15101, expected: false },
    {
      case: 'a Service pointing at the listener port but still selecting the app',
      service: (): V1Service => ({ ...userService, spec: { ...userService.spec, ports: [{ name: 'http', port: 9898, targetPort: 15100 }] } }),
      listenerPort: 15100,
      expected: false,
    },
  ])('tells whether clients of the port already reach the listener: $case', ({ service, listenerPort, expected }) => {
    expect(routesThroughListener(service(), 9898, listenerPort, WAYPOINT_SELECTOR)).toBe(expected);
  });
});
