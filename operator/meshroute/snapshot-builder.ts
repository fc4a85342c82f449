// Builds the one proxy snapshot of a namespace from its MeshRoutes, Services and
// EndpointSlices. Pure: same inputs, same snapshot (sorted, content-addressed), so that an
// unrelated event never makes the proxies reload, and every decision is unit-testable.
//
// It also checks what the CRD schema cannot: that referenced Services and ports exist, that
// regular expressions compile the way the proxy runs them, and that routes do not collide.
// A route that fails a check is left out of the snapshot with a reason; the others carry on.
import { createHash } from 'node:crypto';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { parseDuration } from '../../crds/duration.js';
import type { MeshRoute, MeshRouteMatch, MeshRouteRule, NamedStringMatch } from '../../crds/meshroute.js';
import {
  compileAnchoredRegex,
  LIMITS,
  type BackendConfig,
  type Endpoint,
  type ListenerConfig,
  type NamedMatch,
  type PathMatch,
  type RetryPolicy,
  type RouteMatch,
  type RouteRule,
  type Snapshot,
  type StringMatch,
} from '../../proxy/snapshot.js';
import { mapAddress, type AddressMapping } from '../address-map.js';
import { allocateListeners } from './listener-allocation.js';

export interface NamespaceRouting {
  namespace: string;
  routes: readonly MeshRoute[];
  services: readonly V1Service[];
  endpointSlices: readonly V1EndpointSlice[];
  addressMappings?: readonly AddressMapping[];
}

export type RouteOutcome =
  | { accepted: true; listenerPort: number; listenerName: string }
  | { accepted: false; reason: RouteRejection; message: string };

export type RouteRejection = 'ServiceNotFound' | 'PortNotFound' | 'InvalidRegex' | 'ListenerConflict' | 'Invalid';

export interface NamespaceSnapshot {
  /** Everything but the version: the caller versions it (see `contentHash`). */
  snapshot: Omit<Snapshot, 'version'>;
  /** Hash of the snapshot's content: equal content, equal hash. */
  contentHash: string;
  /** Per route name. */
  outcomes: Map<string, RouteOutcome>;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

class RouteProblem extends Error {
  constructor(
    readonly reason: RouteRejection,
    message: string,
  ) {
    super(message);
  }
}

export function buildNamespaceSnapshot(input: NamespaceRouting): NamespaceSnapshot {
  const services = new Map(input.services.map((s) => [s.metadata?.name ?? '', s]));
  const slicesByService = new Map<string, V1EndpointSlice[]>();
  for (const slice of input.endpointSlices) {
    const owner = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (owner === undefined) continue;
    const list = slicesByService.get(owner) ?? [];
    list.push(slice);
    slicesByService.set(owner, list);
  }
  const outcomes = new Map<string, RouteOutcome>();
  const routes = [...input.routes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));

  // References first: a route whose Services are missing gets no listener at all.
  const usable: MeshRoute[] = [];
  for (const route of routes) {
    try {
      checkReferences(route, services);
      usable.push(route);
    } catch (err) {
      outcomes.set(route.metadata.name, rejection(err));
    }
  }

  const allocation = allocateListeners(
    usable.map((route) => ({
      name: route.metadata.name,
      service: route.spec.service,
      port: route.spec.port,
      creationTimestamp: route.metadata.creationTimestamp ?? '',
      listenerPort: route.status?.listenerPort,
    })),
  );

  const backendNames = chooseBackendNames(usable);
  const backends: Record<string, BackendConfig> = {};
  const listeners: ListenerConfig[] = [];
  for (const route of usable) {
    const name = route.metadata.name;
    const conflict = allocation.conflicts.get(name);
    const listenerPort = allocation.ports.get(name);
    if (conflict !== undefined || listenerPort === undefined) {
      outcomes.set(name, { accepted: false, reason: 'ListenerConflict', message: conflict ?? 'no listener port' });
      continue;
    }
    try {
      const rules = route.spec.rules.map((rule, index) => translateRule(rule, `spec.rules[${index}]`, backendNames));
      const routeBackends: Record<string, BackendConfig> = {};
      for (const ref of referencedBackends(route)) {
        const backendName = backendKey(backendNames, ref.service, ref.port);
        routeBackends[backendName] = {
          endpoints: resolveEndpoints(services.get(ref.service), ref.port, slicesByService.get(ref.service) ?? [], input.addressMappings ?? []),
        };
      }
      Object.assign(backends, routeBackends);
      listeners.push({ name, port: listenerPort, rules });
      outcomes.set(name, { accepted: true, listenerPort, listenerName: name });
    } catch (err) {
      outcomes.set(name, rejection(err));
    }
  }

  listeners.sort((a, b) => a.port - b.port);
  const sortedBackends = Object.fromEntries(Object.entries(backends).sort(([a], [b]) => (a < b ? -1 : 1)));
  const snapshot = { listeners, backends: sortedBackends };
  const contentHash = createHash('sha256').update(JSON.stringify(snapshot)).digest('hex').slice(0, 16);
  return { snapshot, contentHash, outcomes };
}

function rejection(err: unknown): RouteOutcome {
  if (err instanceof RouteProblem) return { accepted: false, reason: err.reason, message: err.message };
  return { accepted: false, reason: 'Invalid', message: err instanceof Error ? err.message : String(err) };
}

interface ServiceRef {
  service: string;
  port: number;
}

function referencedBackends(route: MeshRoute): ServiceRef[] {
  const refs: ServiceRef[] = [];
  for (const rule of route.spec.rules) {
    for (const b of rule.backends ?? []) refs.push({ service: b.service, port: b.port });
    if (rule.mirror) refs.push({ service: rule.mirror.service, port: rule.mirror.port });
  }
  return refs;
}

function checkReferences(route: MeshRoute, services: Map<string, V1Service>): void {
  const checkPort = (what: string, ref: ServiceRef): void => {
    const service = services.get(ref.service);
    if (!service) throw new RouteProblem('ServiceNotFound', `${what}: Service ${ref.service} not found`);
    if (!service.spec?.ports?.some((p) => p.port === ref.port)) {
      const known = (service.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none';
      throw new RouteProblem('PortNotFound', `${what}: Service ${ref.service} has no port ${ref.port} (it has: ${known})`);
    }
  };
  checkPort('spec.service', { service: route.spec.service, port: route.spec.port });
  route.spec.rules.forEach((rule, i) => {
    (rule.backends ?? []).forEach((b, j) => checkPort(`spec.rules[${i}].backends[${j}]`, b));
    if (rule.mirror) checkPort(`spec.rules[${i}].mirror`, rule.mirror);
  });
}

/**
 * Backends are named after their Service, which is what metrics and analysis refer to
 * (`<target>-canary`); only a Service used on two ports in one namespace gets `service:port`.
 */
function chooseBackendNames(routes: readonly MeshRoute[]): Map<string, Set<number>> {
  const portsByService = new Map<string, Set<number>>();
  for (const route of routes) {
    for (const ref of referencedBackends(route)) {
      const ports = portsByService.get(ref.service) ?? new Set<number>();
      ports.add(ref.port);
      portsByService.set(ref.service, ports);
    }
  }
  return portsByService;
}

function backendKey(portsByService: Map<string, Set<number>>, service: string, port: number): string {
  return (portsByService.get(service)?.size ?? 0) > 1 ? `${service}:${port}` : service;
}

export function resolveEndpoints(
  service: V1Service | undefined,
  port: number,
  slices: readonly V1EndpointSlice[],
  addressMappings: readonly AddressMapping[],
): Endpoint[] {
  const servicePort = service?.spec?.ports?.find((p) => p.port === port);
  if (!servicePort) return [];
  const portName = servicePort.name ?? '';
  const byAddress = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const slicePort = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
    if (slicePort === undefined || slicePort === null) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const address = endpoint.addresses[0];
      if (address === undefined) continue;
      // EndpointSlice semantics: an absent "ready" means ready.
      const ready = endpoint.conditions?.ready !== false && endpoint.conditions?.terminating !== true;
      const mapped = mapAddress(address, addressMappings);
      const key = `${mapped}:${slicePort}`;
      const previous = byAddress.get(key);
      // While slices are being rewritten an address can appear twice; ready wins.
      byAddress.set(key, { address: mapped, port: slicePort, ready: ready || (previous?.ready ?? false) });
    }
  }
  return [...byAddress.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}

function translateRule(rule: MeshRouteRule, path: string, portsByService: Map<string, Set<number>>): RouteRule {
  const out: RouteRule = {
    name: rule.name,
    backends: (rule.backends ?? []).map((b) => ({ name: backendKey(portsByService, b.service, b.port), weight: b.weight })),
  };
  if (rule.matches?.length) out.matches = rule.matches.map((m, i) => translateMatch(m, `${path}.matches[${i}]`));
  if (rule.mirror) {
    out.mirror = { backend: backendKey(portsByService, rule.mirror.service, rule.mirror.port), percent: rule.mirror.percent };
  }
  if (rule.timeout !== undefined) out.timeout = parseDuration(rule.timeout);
  if (rule.retries) out.retries = translateRetries(rule.retries);
  if (rule.sessionAffinity) {
    out.sessionAffinity = { cookieName: rule.sessionAffinity.cookieName, maxAge: rule.sessionAffinity.maxAge * 1000 };
  }
  if (rule.faults) {
    out.faults = {};
    if (rule.faults.abort) out.faults.abort = { percent: rule.faults.abort.percent, httpStatus: rule.faults.abort.httpStatus };
    if (rule.faults.delay) {
      out.faults.delay = { percent: rule.faults.delay.percent, fixedDelay: parseDuration(rule.faults.delay.fixedDelay) };
    }
  }
  return out;
}

function translateMatch(match: MeshRouteMatch, path: string): RouteMatch {
  const out: RouteMatch = {};
  if (match.path) out.path = translatePath(match.path, `${path}.path`);
  if (match.method) out.method = match.method;
  if (match.headers?.length) out.headers = match.headers.map((h, i) => translateNamed(h, `${path}.headers[${i}]`));
  if (match.cookies?.length) out.cookies = match.cookies.map((c, i) => translateNamed(c, `${path}.cookies[${i}]`));
  if (match.queryParams?.length) out.queryParams = match.queryParams.map((q, i) => translateNamed(q, `${path}.queryParams[${i}]`));
  return out;
}

function checkedRegex(source: string, path: string): string {
  if (source.length > LIMITS.maxRegexLength) {
    throw new RouteProblem('InvalidRegex', `${path}.regex: longer than ${LIMITS.maxRegexLength} characters`);
  }
  try {
    compileAnchoredRegex(source);
  } catch (err) {
    throw new RouteProblem('InvalidRegex', `${path}.regex: ${(err as Error).message}`);
  }
  return source;
}

function translatePath(match: NonNullable<MeshRouteMatch['path']>, path: string): PathMatch {
  if (match.exact !== undefined) return { exact: match.exact };
  if (match.prefix !== undefined) return { prefix: match.prefix };
  if (match.regex !== undefined) return { regex: checkedRegex(match.regex, path) };
  throw new RouteProblem('Invalid', `${path}: set exactly one of exact, prefix or regex`);
}

function translateNamed(match: NamedStringMatch, path: string): NamedMatch {
  return { name: match.name, ...translateString(match, path) };
}

export function translateString(match: Omit<NamedStringMatch, 'name'>, path: string): StringMatch {
  if (match.exact !== undefined) return { exact: match.exact };
  if (match.prefix !== undefined) return { prefix: match.prefix };
  if (match.suffix !== undefined) return { suffix: match.suffix };
  if (match.regex !== undefined) return { regex: checkedRegex(match.regex, path) };
  if (match.present !== undefined) return { present: match.present };
  throw new RouteProblem('Invalid', `${path}: set exactly one of exact, prefix, suffix, regex or present`);
}

/** CRD retryOn tokens (Envoy's vocabulary) onto the proxy's conditions. */
const RETRY_ON: Record<string, string[]> = {
  '5xx': ['5xx'],
  'gateway-error': ['gateway-error'],
  reset: ['reset'],
  'connect-failure': ['connect-failure'],
  'retriable-4xx': ['409'],
  // HTTP/2 REFUSED_STREAM: the upstream refused before doing any work, like a refused connection.
  'refused-stream': ['connect-failure'],
};

export function translateRetries(retries: NonNullable<MeshRouteRule['retries']>): RetryPolicy {
  const policy: RetryPolicy = { attempts: Math.min(retries.attempts, LIMITS.maxRetryAttempts) };
  if (retries.perTryTimeout !== undefined) policy.perTryTimeout = parseDuration(retries.perTryTimeout);
  if (retries.retryOn !== undefined) {
    const conditions = retries.retryOn.split(',').flatMap((token) => RETRY_ON[token.trim()] ?? [token.trim()]);
    policy.retryOn = [...new Set(conditions)];
  }
  return policy;
}
