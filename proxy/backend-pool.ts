// Runtime state per (listener, backend): endpoint states, round-robin cursor and retry
// budget. Rebuilt on every snapshot apply, reusing the state of endpoints that remain, so
// in-flight counts and ejections survive config pushes.
import type { CompiledSnapshot } from './compiled-snapshot.js';
import { newEndpointState, endpointKey, type EndpointState } from './endpoint-state.js';
import type { RoundRobinCursor } from './load-balancer.js';
import { RetryBudget } from './retry-policy.js';

export interface BackendPool {
  readonly listener: string;
  readonly backend: string;
  /** Ready endpoints, in snapshot order. */
  readonly endpoints: readonly EndpointState[];
  readonly cursor: RoundRobinCursor;
  readonly budget: RetryBudget;
}

/** listener name → backend name → pool */
export type PoolTable = ReadonlyMap<string, ReadonlyMap<string, BackendPool>>;

export function buildPools(compiled: CompiledSnapshot, previous: PoolTable | undefined): PoolTable {
  const table = new Map<string, Map<string, BackendPool>>();
  for (const listener of compiled.listeners) {
    const before = previous?.get(listener.name);
    const pools = new Map<string, BackendPool>();
    for (const backend of listener.backendNames) {
      const old = before?.get(backend);
      const oldStates = new Map(old?.endpoints.map((e) => [e.key, e]));
      const endpoints = (compiled.readyEndpoints.get(backend) ?? []).map(
        (e) => oldStates.get(endpointKey(e.address, e.port)) ?? newEndpointState(e.address, e.port),
      );
      // The budget object is kept: requests in flight release into the object they acquired from.
      const budget = old?.budget ?? new RetryBudget(listener.retryBudget.budgetPercent, listener.retryBudget.minRetryConcurrency);
      budget.configure(listener.retryBudget.budgetPercent, listener.retryBudget.minRetryConcurrency);
      pools.set(backend, { listener: listener.name, backend, endpoints, cursor: old?.cursor ?? { next: 0 }, budget });
    }
    table.set(listener.name, pools);
  }
  return table;
}
