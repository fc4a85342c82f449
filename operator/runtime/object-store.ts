// The informer's cache: objects by "namespace/name" key, plus secondary indexes ("the
// EndpointSlices of Service X", "the MeshRoutes that use Service Y") kept up to date on every
// change so that lookups never scan. Pure data structure; the informer feeds it.
import type { KubernetesObject } from '@kubernetes/client-node';

/** Returns the index values of an object (none, one or several). */
export type IndexFunction<T> = (obj: T) => readonly string[];

export interface ObjectKey {
  namespace: string;
  name: string;
}

/** "namespace/name", or "name" for cluster-scoped objects. */
export function keyOf(ref: ObjectKey): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export function objectKey(obj: KubernetesObject): string {
  return keyOf({ namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' });
}

export function parseKey(key: string): ObjectKey {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The built-in index by namespace, always present. */
export const NAMESPACE_INDEX = 'namespace';

export type StoreChange<T> =
  | { type: 'added'; obj: T }
  | { type: 'updated'; obj: T; old: T }
  | { type: 'deleted'; obj: T };

export class ObjectStore<T extends KubernetesObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunction<T>>();
  /** index name -> index value -> keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunction<T>> = {}) {
    this.addIndexer(NAMESPACE_INDEX, (obj) => [obj.metadata?.namespace ?? '']);
    for (const [name, fn] of Object.entries(indexers)) this.addIndexer(name, fn);
  }

  get size(): number {
    return this.items.size;
  }

  /** Adds an index; objects already cached are indexed at once. Re-adding a name is an error. */
  addIndexer(name: string, fn: IndexFunction<T>): void {
    if (this.indexers.has(name)) throw new Error(`index ${JSON.stringify(name)} already exists`);
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) this.indexOne(index, fn, key, obj);
  }

  hasIndex(name: string): boolean {
    return this.indexers.has(name);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Objects whose index function returned `value` for index `indexName`. */
  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`no index ${JSON.stringify(indexName)}`);
    const keys = index.get(value);
    if (!keys) return [];
    const result: T[] = [];
    for (const key of keys) {
      const obj = this.items.get(key);
      if (obj) result.push(obj);
    }
    return result;
  }

  /** Inserts or replaces; an object whose resourceVersion did not change is not a change. */
  upsert(obj: T): StoreChange<T> | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old && sameVersion(old, obj)) return undefined;
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old ? { type: 'updated', obj, old } : { type: 'added', obj };
  }

  /** Removes the object with the key of `obj`; returns the last cached state. */
  remove(obj: T): StoreChange<T> | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    // The cached object is the last known state; the tombstone from a watch may be newer.
    return { type: 'deleted', obj: obj.metadata?.resourceVersion ? obj : old };
  }

  /** Makes the cache equal to `objects` (a fresh list) and returns what changed. */
  replace(objects: readonly T[]): StoreChange<T>[] {
    const changes: StoreChange<T>[] = [];
    const fresh = new Set<string>();
    for (const obj of objects) {
      fresh.add(objectKey(obj));
      const change = this.upsert(obj);
      if (change) changes.push(change);
    }
    for (const [key, old] of [...this.items]) {
      if (fresh.has(key)) continue;
      this.unindex(key, old);
      this.items.delete(key);
      changes.push({ type: 'deleted', obj: old });
    }
    return changes;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name);
      if (index) this.indexOne(index, fn, key, obj);
    }
  }

  private indexOne(index: Map<string, Set<string>>, fn: IndexFunction<T>, key: string, obj: T): void {
    for (const value of fn(obj)) {
      let keys = index.get(value);
      if (!keys) {
        keys = new Set();
        index.set(value, keys);
      }
      keys.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name);
      if (!index) continue;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(value);
      }
    }
  }
}

function sameVersion(a: KubernetesObject, b: KubernetesObject): boolean {
  const va = a.metadata?.resourceVersion;
  return va !== undefined && va === b.metadata?.resourceVersion;
}
