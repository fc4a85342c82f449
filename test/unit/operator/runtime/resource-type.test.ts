import { collectionPath, resourceName, Resources, resourceType } from '../../../../operator/runtime/resource-type.js';

describe('resource types', () => {
  it('builds REST collection paths for core, grouped and cluster-scoped resources', () => {
    expect(collectionPath(Resources.Service, 'ns')).toBe('/api/v1/namespaces/ns/services');
    expect(collectionPath(Resources.Service)).toBe('/api/v1/services');
    expect(collectionPath(Resources.EndpointSlice, 'ns')).toBe('/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices');
    expect(collectionPath(Resources.Namespace, 'ignored')).toBe('/api/v1/namespaces');
    const meshRoutes = resourceType({ apiVersion: 'sluice.dev/v1alpha1', kind: 'MeshRoute', plural: 'meshroutes', namespaced: true });
    expect(collectionPath(meshRoutes, 'team-a')).toBe('/apis/sluice.dev/v1alpha1/namespaces/team-a/meshroutes');
  });

  it('names resources like kubectl does', () => {
    expect(resourceName(Resources.Pod)).toBe('pods');
    expect(resourceName(Resources.Deployment)).toBe('deployments.apps');
    expect(resourceName(Resources.Lease)).toBe('leases.coordination.k8s.io');
  });
});
