// A validated snapshot turned into what the hot path wants: defaults resolved, matches
// compiled to predicates, retry conditions parsed, lookups by key. Built once per apply.
import {
  DEFAULTS,
  type Endpoint,
  type FaultInjection,
  type LoadBalancingPolicy,
  type Snapshot,
} from './snapshot.js';
import { compileMatches, type CompiledMatch, type Matchable } from './route-matcher.js';
import { parseRetryOn, type RetryConditions } from './retry-policy.js';
import type { OutlierSettings } from './outlier-detector.js';
import type { WeightedChoice } from './weighted-choice.js';

export interface CompiledRule extends Matchable {
  readonly name: string;
  /** `<listener>/<rule>`: the route label of metrics. */
  readonly routeLabel: string;
  readonly matches: readonly CompiledMatch[];
  readonly backends: readonly WeightedChoice[];
  readonly mirror: { readonly backend: string; readonly percent: number } | undefined;
  /** 0: no timeout. */
  readonly timeoutMs: number;
  readonly retries: {
    readonly maxRetries: number;
    /** 0: no per-try timeout. */
    readonly perTryTimeoutMs: number;
    readonly conditions: RetryConditions;
    readonly backoffMs: number;
  };
  readonly affinity: { readonly cookieName: string; readonly maxAgeMs: number } | undefined;
  readonly faults: FaultInjection | undefined;
}

export interface CompiledListener {
  readonly name: string;
  readonly port: number;
  /** Identifies the socket a listener is served on; see `bindingKey`. */
  readonly bindingKey: string;
  readonly rules: readonly CompiledRule[];
  readonly loadBalancing: LoadBalancingPolicy;
  readonly outlier: OutlierSettings;
  readonly retryBudget: { readonly budgetPercent: number; readonly minRetryConcurrency: number };
  readonly mirrorLimits: { readonly maxInFlight: number; readonly timeoutMs: number; readonly maxBufferedBytes: number };
  /** Every backend that a rule of this listener may send to (including mirrors). */
  readonly backendNames: readonly string[];
}

export interface CompiledSnapshot {
  readonly version: string;
  readonly source: Snapshot;
  readonly listeners: readonly CompiledListener[];
  readonly listenersByBinding: ReadonlyMap<string, CompiledListener>;
  /** Ready endpoints of each backend, in snapshot order. */
  readonly readyEndpoints: ReadonlyMap<string, readonly Endpoint[]>;
}

/**
 * Sockets are keyed by port, so that renaming a listener keeps its socket and two listeners
 * may trade ports in one snapshot; port 0 ("any port", for tests) is keyed by name instead.
 */
export function bindingKey(name: string, port: number): string {
  return port === 0 ? `name:${name}` : `port:${port}`;
}

export function compileSnapshot(snapshot: Snapshot): CompiledSnapshot {
  const readyEndpoints = new Map<string, readonly Endpoint[]>();
  for (const [name, backend] of Object.entries(snapshot.backends)) {
    readyEndpoints.set(name, backend.endpoints.filter((e) => e.ready));
  }
  const listeners = snapshot.listeners.map((l): CompiledListener => {
    const rules = l.rules.map(
      (r): CompiledRule => ({
        name: r.name,
        routeLabel: `${l.name}/${r.name}`,
        matches: compileMatches(r.matches),
        backends: r.backends.map((b) => ({ name: b.name, weight: b.weight })),
        mirror: r.mirror && r.mirror.percent > 0 ? { backend: r.mirror.backend, percent: r.mirror.percent } : undefined,
        timeoutMs: r.timeout ?? DEFAULTS.timeout,
        retries: {
          maxRetries: r.retries?.attempts ?? 0,
          perTryTimeoutMs: r.retries?.perTryTimeout ?? 0,
          conditions: parseRetryOn(r.retries?.retryOn),
          backoffMs: r.retries?.backoff ?? DEFAULTS.retryBackoff,
        },
        affinity: r.sessionAffinity
          ? { cookieName: r.sessionAffinity.cookieName, maxAgeMs: r.sessionAffinity.maxAge ?? DEFAULTS.sessionMaxAge }
          : undefined,
        faults: r.faults && (r.faults.abort || r.faults.delay) ? r.faults : undefined,
      }),
    );
    const backendNames = new Set<string>();
    for (const r of rules) {
      for (const b of r.backends) backendNames.add(b.name);
      if (r.mirror) backendNames.add(r.mirror.backend);
    }
    return {
      name: l.name,
      port: l.port,
      bindingKey: bindingKey(l.name, l.port),
      rules,
      loadBalancing: l.loadBalancing ?? DEFAULTS.loadBalancing,
      outlier: { ...DEFAULTS.outlierDetection, ...l.outlierDetection },
      retryBudget: { ...DEFAULTS.retryBudget, ...l.retryBudget },
      mirrorLimits: {
        maxInFlight: l.mirrorLimits?.maxInFlight ?? DEFAULTS.mirrorLimits.maxInFlight,
        timeoutMs: l.mirrorLimits?.timeout ?? DEFAULTS.mirrorLimits.timeout,
        maxBufferedBytes: l.mirrorLimits?.maxBufferedBytes ?? DEFAULTS.mirrorLimits.maxBufferedBytes,
      },
      backendNames: [...backendNames],
    };
  });
  return {
    version: snapshot.version,
    source: snapshot,
    listeners,
    listenersByBinding: new Map(listeners.map((l) => [l.bindingKey, l])),
    readyEndpoints,
  };
}
