import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { keyOf, NAMESPACE_INDEX, ObjectStore, parseKey } from '../../../../operator/runtime/object-store.js';

const slice = (namespace: string, name: string, service: string, rv = '1'): V1EndpointSlice => ({
  addressType: 'IPv4',
  endpoints: [],
  metadata: { namespace, name, resourceVersion: rv, labels: { 'kubernetes.io/service-name': service } },
});

const byService = (s: V1EndpointSlice): string[] => {
  const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
  return svc ? [`${s.metadata?.namespace}/${svc}`] : [];
};

describe('ObjectStore', () => {
  it('reports adds, updates (with the old object) and ignores unchanged resourceVersions', () => {
    const store = new ObjectStore<V1EndpointSlice>();
    expect(store.upsert(slice('a', 's1', 'web'))).toMatchObject({ type: 'added' });
    expect(store.upsert(slice('a', 's1', 'web'))).toBeUndefined();
    const change = store.upsert(slice('a', 's1', 'web', '2'));
    expect(change?.type).toBe('updated');
    expect(change?.type === 'updated' && change.old.metadata?.resourceVersion).toBe('1');
    expect(store.get('a/s1')?.metadata?.resourceVersion).toBe('2');
  });

  it('looks objects up by a custom index and keeps the index right across updates and deletes', () => {
    const store = new ObjectStore<V1EndpointSlice>({ service: byService });
    store.upsert(slice('a', 's1', 'web'));
    store.upsert(slice('a', 's2', 'web'));
    store.upsert(slice('a', 's3', 'api'));
    store.upsert(slice('b', 's1', 'web'));
    expect(store.byIndex('service', 'a/web').map((s) => s.metadata?.name).sort()).toEqual(['s1', 's2']);
    // s2 moves to another service: it leaves the old index entry.
    store.upsert(slice('a', 's2', 'api', '2'));
    expect(store.byIndex('service', 'a/web').map((s) => s.metadata?.name)).toEqual(['s1']);
    expect(store.byIndex('service', 'a/api').map((s) => s.metadata?.name).sort()).toEqual(['s2', 's3']);
    store.remove(slice('a', 's1', 'web'));
    expect(store.byIndex('service', 'a/web')).toEqual([]);
    expect(store.byIndex(NAMESPACE_INDEX, 'b')).toHaveLength(1);
  });

  it('indexes objects already cached when an index is added later', () => {
    const store = new ObjectStore<V1EndpointSlice>();
    store.upsert(slice('a', 's1', 'web'));
    store.addIndexer('service', byService);
    expect(store.byIndex('service', 'a/web')).toHaveLength(1);
    expect(() => store.addIndexer('service', byService)).toThrow(/already exists/);
    expect(() => store.byIndex('nope', 'x')).toThrow(/no index/);
  });

  it('replace() turns a fresh list into the differences against the cache', () => {
    const store = new ObjectStore<V1Service>();
    store.upsert({ metadata: { namespace: 'n', name: 'keep', resourceVersion: '1' } });
    store.upsert({ metadata: { namespace: 'n', name: 'change', resourceVersion: '1' } });
    store.upsert({ metadata: { namespace: 'n', name: 'gone', resourceVersion: '1' } });
    const changes = store.replace([
      { metadata: { namespace: 'n', name: 'keep', resourceVersion: '1' } },
      { metadata: { namespace: 'n', name: 'change', resourceVersion: '5' } },
      { metadata: { namespace: 'n', name: 'new', resourceVersion: '6' } },
    ]);
    const summary = changes.map((c) => `${c.type}:${c.obj.metadata?.name}`).sort();
    expect(summary).toEqual(['added:new', 'deleted:gone', 'updated:change']);
    expect(store.keys().sort()).toEqual(['n/change', 'n/keep', 'n/new']);
  });

  it('returns the last cached state on delete when the tombstone has no resourceVersion', () => {
    const store = new ObjectStore<V1Service>();
    store.upsert({ metadata: { namespace: 'n', name: 's', resourceVersion: '3', labels: { a: 'b' } } });
    const change = store.remove({ metadata: { namespace: 'n', name: 's' } });
    expect(change?.obj.metadata?.labels).toEqual({ a: 'b' });
    expect(store.remove({ metadata: { namespace: 'n', name: 's' } })).toBeUndefined();
  });

  it('formats and parses keys of namespaced and cluster-scoped objects', () => {
    expect(keyOf({ namespace: 'ns', name: 'x' })).toBe('ns/x');
    expect(keyOf({ namespace: '', name: 'node-1' })).toBe('node-1');
    expect(parseKey('ns/x')).toEqual({ namespace: 'ns', name: 'x' });
    expect(parseKey('node-1')).toEqual({ namespace: '', name: 'node-1' });
  });
});
