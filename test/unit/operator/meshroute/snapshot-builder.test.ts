import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { MeshRoute } from '../../../../crds/meshroute.js';
import { parseAddressMapping } from '../../../../operator/address-map.js';
import { buildNamespaceSnapshot, translateRetries } from '../../../../operator/meshroute/snapshot-builder.js';
import { validateSnapshot } from '../../../../proxy/snapshot.js';

function service(name: string, ports: { port: number; name?: string; targetPort?: number }[]): V1Service {
  return { metadata: { name, namespace: 'ns' }, spec: { selector: { app: name }, ports } };
}

function slice(serviceName: string, port: { name?: string; port: number }, endpoints: { ip: string; ready?: boolean; terminating?: boolean }[]): V1EndpointSlice {
  return {
    metadata: { name: `${serviceName}-abc`, namespace: 'ns', labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports: [{ ...port, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ...(e.ready === undefined ? {} : { ready: e.ready }), ...(e.terminating === undefined ? {} : { terminating: e.terminating }) },
    })),
  };
}

function route(name: string, spec: MeshRoute['spec'], extra: Partial<MeshRoute['metadata']> = {}, listenerPort?: number): MeshRoute {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'MeshRoute',
    metadata: { name, namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z', ...extra },
    spec,
    ...(listenerPort === undefined ? {} : { status: { listenerPort } }),
  };
}

const services = [
  service('podinfo', [{ port: 9898, name: 'http' }]),
  service('podinfo-primary', [{ port: 9898, name: 'http' }]),
  service('podinfo-canary', [{ port: 9898, name: 'http' }]),
];
const slices = [
  slice('podinfo-primary', { name: 'http', port: 8080 }, [{ ip: '198.18.0.2' }, { ip: '198.18.0.3', ready: false }]),
  slice('podinfo-canary', { name: 'http', port: 8080 }, [{ ip: '198.18.0.4', ready: true }, { ip: '198.18.0.5', terminating: true }]),
];

const canaryRoute = route('podinfo', {
  service: 'podinfo',
  port: 9898,
  rules: [
    {
      name: 'ab',
      matches: [{ headers: [{ name: 'x-canary', exact: 'insider' }], path: { prefix: '/api' } }, { cookies: [{ name: 'c', regex: 'a+' }] }],
      backends: [{ service: 'podinfo-canary', port: 9898, weight: 1 }],
    },
    {
      name: 'weighted',
      backends: [
        { service: 'podinfo-primary', port: 9898, weight: 90 },
        { service: 'podinfo-canary', port: 9898, weight: 10 },
      ],
      mirror: { service: 'podinfo-canary', port: 9898, percent: 25 },
      timeout: '1.5s',
      retries: { attempts: 7, perTryTimeout: '500ms', retryOn: 'gateway-error,retriable-4xx,refused-stream,connect-failure' },
      sessionAffinity: { cookieName: 'sluice-affinity', maxAge: 60 },
      faults: { delay: { percent: 5, fixedDelay: '100ms' } },
    },
  ],
});

describe('buildNamespaceSnapshot', () => {
  const mappings = [parseAddressMapping('198.18.0.0/15=127.18.0.0/15')];

  it('translates a route into a snapshot the proxy accepts', () => {
    const result = buildNamespaceSnapshot({ namespace: 'ns', routes: [canaryRoute], services, endpointSlices: slices, addressMappings: mappings });
    expect(result.outcomes.get('podinfo')).toEqual({ accepted: true, listenerPort: 15100, listenerName: 'podinfo' });
    const validated = validateSnapshot({ version: 'v1', ...result.snapshot });
    if (!validated.ok) throw new Error(validated.error);
    const listener = result.snapshot.listeners[0];
    expect(listener?.port).toBe(15100);
    expect(listener?.rules[1]).toEqual({
      name: 'weighted',
      backends: [
        { name: 'podinfo-primary', weight: 90 },
        { name: 'podinfo-canary', weight: 10 },
      ],
      mirror: { backend: 'podinfo-canary', percent: 25 },
      timeout: 1500,
      retries: { attempts: 5, perTryTimeout: 500, retryOn: ['gateway-error', '409', 'connect-failure'] },
      sessionAffinity: { cookieName: 'sluice-affinity', maxAge: 60_000 },
      faults: { delay: { percent: 5, fixedDelay: 100 } },
    });
    expect(result.snapshot.backends['podinfo-primary']?.endpoints).toEqual([
      { address: '127.18.0.2', port: 8080, ready: true },
      { address: '127.18.0.3', port: 8080, ready: false },
    ]);
    expect(result.snapshot.backends['podinfo-canary']?.endpoints).toEqual([
      { address: '127.18.0.4', port: 8080, ready: true },
      { address: '127.18.0.5', port: 8080, ready: false },
    ]);
  });

  it('is deterministic: same content, same hash, whatever the input order', () => {
    const other = route('other', { service: 'podinfo-primary', port: 9898, rules: [{ name: 'all', backends: [{ service: 'podinfo-primary', port: 9898, weight: 1 }] }] }, { creationTimestamp: '2026-01-02T00:00:00Z' });
    const a = buildNamespaceSnapshot({ namespace: 'ns', routes: [canaryRoute, other], services, endpointSlices: slices });
    const b = buildNamespaceSnapshot({ namespace: 'ns', routes: [other, canaryRoute], services: [...services].reverse(), endpointSlices: [...slices].reverse() });
    expect(a.contentHash).toBe(b.contentHash);
    expect(a.snapshot).toEqual(b.snapshot);
    const changed = buildNamespaceSnapshot({ namespace: 'ns', routes: [canaryRoute, other], services, endpointSlices: slices.slice(1) });
    expect(changed.contentHash).not.toBe(a.contentHash);
  });

  it('rejects a route naming a missing Service or port, and keeps the others', () => {
    const missing = route('missing', { service: 'podinfo', port: 9898, rules: [{ name: 'r', backends: [{ service: 'nope', port: 80, weight: 1 }] }] }, { creationTimestamp: '2025-01-01T00:00:00Z' });
    const wrongPort = route('wrong-port', { service: 'podinfo-canary', port: 1234, rules: [{ name: 'r', backends: [{ service: 'podinfo-canary', port: 9898, weight: 1 }] }] });
    const result = buildNamespaceSnapshot({ namespace: 'ns', routes: [missing, wrongPort, canaryRoute], services, endpointSlices: slices });
    expect(result.outcomes.get('missing')).toEqual({ accepted: false, reason: 'ServiceNotFound', message: 'spec.rules[0].backends[0]: Service nope not found' });
    expect(result.outcomes.get('wrong-port')).toEqual({ accepted: false, reason: 'PortNotFound', message: 'spec.service: Service podinfo-canary has no port 1234 (it has: 9898)' });
    expect(result.outcomes.get('podinfo')?.accepted).toBe(true);
    expect(result.snapshot.listeners.map((l) => l.name)).toEqual(['podinfo']);
  });

  it('rejects a regex JavaScript cannot compile, naming the field', () => {
    const bad = route('bad', { service: 'podinfo', port: 9898, rules: [{ name: 'r', matches: [{ headers: [{ name: 'x', regex: '(?<n>a)(?<n>b)' }] }], backends: [{ service: 'podinfo-primary', port: 9898, weight: 1 }] }] });
    const result = buildNamespaceSnapshot({ namespace: 'ns', routes: [bad], services, endpointSlices: slices });
    const outcome = result.outcomes.get('bad');
    expect(outcome).toMatchObject({ accepted: false, reason: 'InvalidRegex' });
    expect(outcome?.accepted === false && outcome.message).toMatch(/^spec\.rules\[0\]\.matches\[0\]\.headers\[0\]\.regex: /);
  });

  it('reports a listener conflict for the younger of two routes on one apex Service', () => {
    const second = route('second', { ...canaryRoute.spec }, { creationTimestamp: '2026-06-01T00:00:00Z' });
    const result = buildNamespaceSnapshot({ namespace: 'ns', routes: [second, canaryRoute], services, endpointSlices: slices });
    expect(result.outcomes.get('second')).toEqual({ accepted: false, reason: 'ListenerConflict', message: 'Service podinfo port 9898 is already routed by MeshRoute podinfo' });
  });

  it('names a backend service:port only when one Service is used on two ports', () => {
    const twoPorts = [...services.filter((s) => s.metadata?.name !== 'podinfo-canary'), service('podinfo-canary', [{ port: 9898, name: 'http' }, { port: 9999, name: 'admin' }])];
    const r = route('p', { service: 'podinfo', port: 9898, rules: [{ name: 'r', backends: [{ service: 'podinfo-canary', port: 9898, weight: 1 }, { service: 'podinfo-canary', port: 9999, weight: 1 }] }] });
    const result = buildNamespaceSnapshot({ namespace: 'ns', routes: [r], services: twoPorts, endpointSlices: slices });
    expect(Object.keys(result.snapshot.backends)).toEqual(['podinfo-canary:9898', 'podinfo-canary:9999']);
    expect(result.snapshot.backends['podinfo-canary:9999']?.endpoints).toEqual([]);
  });
});

describe('translateRetries', () => {
  it('keeps status codes and removes duplicates', () => {
    expect(translateRetries({ attempts: 2, retryOn: '503,5xx,503' })).toEqual({ attempts: 2, retryOn: ['503', '5xx'] });
  });
});
