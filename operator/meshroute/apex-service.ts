// Taking over an apex Service and giving it back. Pure: given the Service as it is and the
// listener a route got, returns the patch that points the Service at the waypoint (or the
// patch that restores the user's own selector and ports).
//
// Clients keep calling `podinfo:9898`: only the Service's selector and the targetPort of the
// routed port change. What the user had is stored in an annotation first, so giving the
// Service back is exact even across operator restarts.
import type { V1Service, V1ServicePort } from '@kubernetes/client-node';

export const ORIGINAL_SPEC_ANNOTATION = 'sluice.dev/original-service';
export const ROUTED_BY_ANNOTATION = 'sluice.dev/routed-by';

interface OriginalService {
  selector: Record<string, string> | null;
  ports: { port: number; targetPort: number | string | null }[];
}

export interface TakeoverInput {
  service: V1Service;
  routeName: string;
  port: number;
  listenerPort: number;
  waypointSelector: Record<string, string>;
}

/** JSON merge patch of metadata.annotations and spec, or undefined when nothing changes. */
export interface ServicePatch {
  metadata: { annotations: Record<string, string | null> };
  spec: { selector: Record<string, string | null> | null; ports: V1ServicePort[] };
}

/**
 * A merge patch replaces a map key by key: to end up with exactly `desired`, every key of
 * `current` that `desired` lacks must be set to null.
 */
function selectorPatch(current: Record<string, string> | undefined, desired: Record<string, string> | null): Record<string, string | null> | null {
  if (desired === null) return null;
  const patch: Record<string, string | null> = {};
  for (const key of Object.keys(current ?? {})) if (!(key in desired)) patch[key] = null;
  return { ...patch, ...desired };
}

function original(service: V1Service): OriginalService {
  const stored = service.metadata?.annotations?.[ORIGINAL_SPEC_ANNOTATION];
  if (stored !== undefined) {
    try {
      return JSON.parse(stored) as OriginalService;
    } catch {
      // A mangled annotation: fall through and treat the current spec as the user's.
    }
  }
  return {
    selector: service.spec?.selector ?? null,
    ports: (service.spec?.ports ?? []).map((p) => ({ port: p.port, targetPort: p.targetPort ?? null })),
  };
}

function sameSelector(a: Record<string, string> | null | undefined, b: Record<string, string> | null | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  return ka.length === kb.length && ka.every((k) => a?.[k] === b?.[k]);
}

/**
 * Whether clients of the Service's `port` already reach the waypoint's `listenerPort`: the
 * takeover that matters to them has happened (what is left to patch is bookkeeping).
 */
export function routesThroughListener(service: V1Service, port: number, listenerPort: number, waypointSelector: Record<string, string>): boolean {
  return sameSelector(service.spec?.selector, waypointSelector) && (service.spec?.ports ?? []).some((p) => p.port === port && p.targetPort === listenerPort);
}

export function takeoverPatch(input: TakeoverInput): ServicePatch | undefined {
  const { service, port, listenerPort, waypointSelector, routeName } = input;
  const ports = (service.spec?.ports ?? []).map((p) => (p.port === port ? { ...p, targetPort: listenerPort } : p));
  const unchanged =
    service.metadata?.annotations?.[ORIGINAL_SPEC_ANNOTATION] !== undefined &&
    service.metadata?.annotations?.[ROUTED_BY_ANNOTATION] === routeName &&
    sameSelector(service.spec?.selector, waypointSelector) &&
    (service.spec?.ports ?? []).every((p) => p.port !== port || p.targetPort === listenerPort);
  if (unchanged) return undefined;
  return {
    metadata: {
      annotations: {
        [ORIGINAL_SPEC_ANNOTATION]: JSON.stringify(original(service)),
        [ROUTED_BY_ANNOTATION]: routeName,
      },
    },
    spec: { selector: selectorPatch(service.spec?.selector, waypointSelector), ports },
  };
}

/** Restores what the user had; undefined when the Service was never taken over. */
export function releasePatch(service: V1Service): ServicePatch | undefined {
  if (service.metadata?.annotations?.[ORIGINAL_SPEC_ANNOTATION] === undefined) return undefined;
  const before = original(service);
  const ports = (service.spec?.ports ?? []).map((p) => {
    const was = before.ports.find((o) => o.port === p.port);
    if (!was) return p;
    const restored: V1ServicePort = { ...p };
    if (was.targetPort === null) delete restored.targetPort;
    else restored.targetPort = was.targetPort;
    return restored;
  });
  return {
    metadata: { annotations: { [ORIGINAL_SPEC_ANNOTATION]: null, [ROUTED_BY_ANNOTATION]: null } },
    spec: { selector: selectorPatch(service.spec?.selector, before.selector), ports },
  };
}
