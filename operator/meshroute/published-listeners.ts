// Which listeners each published snapshot version holds, per namespace, so that a proxy's
// acknowledged version tells whether it serves a given route. Versions are content hashes:
// one version always holds the same listeners, so an entry never goes stale; the record keeps
// the latest versions only, and a proxy still on a version older than those is treated as
// not serving the route until it catches up (it gets the current one within a push).
import { listenerKey, type ListenerRef } from './takeover-readiness.js';

const EMPTY: ReadonlyMap<string, ReadonlySet<string>> = new Map();

export class PublishedListeners {
  private readonly byNamespace = new Map<string, Map<string, ReadonlySet<string>>>();

  constructor(private readonly versionsKept = 64) {}

  record(namespace: string, version: string, listeners: readonly ListenerRef[]): void {
    let versions = this.byNamespace.get(namespace);
    if (!versions) {
      versions = new Map();
      this.byNamespace.set(namespace, versions);
    }
    // Re-inserted last: the versions kept are the latest published, not the first.
    versions.delete(version);
    versions.set(version, new Set(listeners.map(listenerKey)));
    for (const oldest of versions.keys()) {
      if (versions.size <= this.versionsKept) break;
      versions.delete(oldest);
    }
  }

  of(namespace: string): ReadonlyMap<string, ReadonlySet<string>> {
    return this.byNamespace.get(namespace) ?? EMPTY;
  }

  forget(namespace: string): void {
    this.byNamespace.delete(namespace);
  }
}
