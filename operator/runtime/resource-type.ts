// Which API resource an informer lists and watches, and the REST paths for it. Built-in kinds
// are declared here; custom resources are declared the same way by whoever owns them (for
// example `resourceType<MeshRoute>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'MeshRoute',
// plural: 'meshroutes', namespaced: true })`). The type parameter ties the declaration to the
// TypeScript type of the objects, so informers and caches are typed without casts at call sites.
import type {
  CoreV1Event,
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1EndpointSlice,
  V1Lease,
  V1Namespace,
  V1Pod,
  V1Secret,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';

export interface ResourceType<T extends KubernetesObject> {
  /** "v1" for the core group, otherwise "group/version". */
  readonly apiVersion: string;
  readonly kind: string;
  /** Lower-case plural used in REST paths, e.g. "endpointslices". */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Phantom field: never set, only carries T. */
  readonly __object?: T;
}

export function resourceType<T extends KubernetesObject>(spec: Omit<ResourceType<T>, '__object'>): ResourceType<T> {
  return Object.freeze({ ...spec });
}

/** "/api/v1" or "/apis/group/version". */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/**
 * Collection path: namespaced resources in `namespace`, or across all namespaces when
 * `namespace` is empty; cluster-scoped resources ignore `namespace`.
 */
export function collectionPath(resource: ResourceType<KubernetesObject>, namespace = ''): string {
  const base = groupVersionPath(resource.apiVersion);
  if (resource.namespaced && namespace) return `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
  return `${base}/${resource.plural}`;
}

/** Identity of a resource for sharing informers and labelling metrics: "endpointslices.discovery.k8s.io". */
export function resourceName(resource: ResourceType<KubernetesObject>): string {
  const slash = resource.apiVersion.indexOf('/');
  return slash < 0 ? resource.plural : `${resource.plural}.${resource.apiVersion.slice(0, slash)}`;
}

export const Resources = {
  Namespace: resourceType<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false }),
  Pod: resourceType<V1Pod>({ apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }),
  Service: resourceType<V1Service>({ apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true }),
  ServiceAccount: resourceType<V1ServiceAccount>({ apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true }),
  ConfigMap: resourceType<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true }),
  Secret: resourceType<V1Secret>({ apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }),
  Event: resourceType<CoreV1Event>({ apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true }),
  Deployment: resourceType<V1Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true }),
  EndpointSlice: resourceType<V1EndpointSlice>({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
  }),
  Lease: resourceType<V1Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true }),
} as const;

/** Label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
