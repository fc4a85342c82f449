// Which waypoint listener port each MeshRoute of a namespace gets, and which routes lose a
// conflict. Pure: the MeshRoute controller calls it with what its caches hold.
//
// Every route has a listener of its own so that routing never depends on the Host header
// (clients call by IP, ingresses rewrite Host). A port, once given, is kept (it is recorded
// in status.listenerPort and the apex Service targets it), so adding or removing other routes
// never moves traffic of a route to another port.

// Below it sit the admin ports (the waypoint serves metrics and health on 15020).
export const LISTENER_PORT_RANGE = { first: 15100, last: 15999 } as const;

export interface RouteClaim {
  name: string;
  /** Apex Service and port the route takes over. */
  service: string;
  port: number;
  /** RFC 3339; the older of two conflicting routes wins, then the name decides. */
  creationTimestamp: string;
  /** The port recorded in status, if the route already had one. */
  listenerPort?: number;
}

export interface ListenerAllocation {
  /** Route name → listener port, for every route that is not in conflict. */
  ports: Map<string, number>;
  /** Route name → why it gets no listener. */
  conflicts: Map<string, string>;
}

function olderFirst(a: RouteClaim, b: RouteClaim): number {
  const byTime = Date.parse(a.creationTimestamp) - Date.parse(b.creationTimestamp);
  if (byTime !== 0 && Number.isFinite(byTime)) return byTime;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function allocateListeners(claims: readonly RouteClaim[]): ListenerAllocation {
  const ports = new Map<string, number>();
  const conflicts = new Map<string, string>();
  const ordered = [...claims].sort(olderFirst);

  // One route per apex Service port: a second one would fight over the Service's targetPort.
  const owners = new Map<string, string>();
  const accepted: RouteClaim[] = [];
  for (const claim of ordered) {
    const key = `${claim.service}:${claim.port}`;
    const owner = owners.get(key);
    if (owner !== undefined) {
      conflicts.set(claim.name, `Service ${claim.service} port ${claim.port} is already routed by MeshRoute ${owner}`);
      continue;
    }
    owners.set(key, claim.name);
    accepted.push(claim);
  }

  // Keep recorded ports first (oldest wins a duplicate), then hand out the lowest free ones.
  const taken = new Set<number>();
  const needPort: RouteClaim[] = [];
  for (const claim of accepted) {
    const recorded = claim.listenerPort;
    if (
      recorded !== undefined &&
      recorded >= LISTENER_PORT_RANGE.first &&
      recorded <= LISTENER_PORT_RANGE.last &&
      !taken.has(recorded)
    ) {
      taken.add(recorded);
      ports.set(claim.name, recorded);
    } else {
      needPort.push(claim);
    }
  }
  let next: number = LISTENER_PORT_RANGE.first;
  for (const claim of needPort) {
    while (taken.has(next) && next <= LISTENER_PORT_RANGE.last) next++;
    if (next > LISTENER_PORT_RANGE.last) {
      conflicts.set(claim.name, `no free waypoint listener port left in ${LISTENER_PORT_RANGE.first}-${LISTENER_PORT_RANGE.last}`);
      continue;
    }
    taken.add(next);
    ports.set(claim.name, next);
  }
  return { ports, conflicts };
}
