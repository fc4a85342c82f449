import { buildPools } from '../../../proxy/backend-pool.js';
import { bindingKey, compileSnapshot } from '../../../proxy/compiled-snapshot.js';
import { DEFAULTS, validateSnapshot, type Snapshot } from '../../../proxy/snapshot.js';

function snapshot(version: string, canaryWeight: number, endpoints: [string, boolean][], mirrorPercent = 5): Snapshot {
  const r = validateSnapshot({
    version,
    listeners: [
      {
        name: 'podinfo',
        port: 0,
        rules: [
          {
            name: 'split',
            backends: [
              { name: 'primary', weight: 100 - canaryWeight },
              { name: 'canary', weight: canaryWeight },
            ],
            mirror: { backend: 'shadow', percent: mirrorPercent },
          },
        ],
        retryBudget: { budgetPercent: 50 },
      },
    ],
    backends: {
      primary: { endpoints: endpoints.map(([address, ready]) => ({ address, port: 80, ready })) },
      canary: { endpoints: [] },
      shadow: { endpoints: [{ address: '10.9.9.9', port: 80, ready: true }] },
      unused: { endpoints: [] },
    },
  });
  if (!r.ok) throw new Error(r.error);
  return r.snapshot;
}

describe('compileSnapshot', () => {
  it('resolves defaults and labels routes', () => {
    const c = compileSnapshot(snapshot('v1', 10, [['10.0.0.1', true]]));
    const l = c.listeners[0];
    expect(l?.loadBalancing).toBe('least-request');
    expect(l?.outlier).toEqual(DEFAULTS.outlierDetection);
    expect(l?.retryBudget).toEqual({ budgetPercent: 50, minRetryConcurrency: 3 });
    expect(l?.mirrorLimits).toEqual({ maxInFlight: 100, timeoutMs: 5000, maxBufferedBytes: 1_048_576 });
    const rule = l?.rules[0];
    expect(rule?.routeLabel).toBe('podinfo/split');
    expect(rule?.timeoutMs).toBe(15_000);
    expect(rule?.retries.maxRetries).toBe(0);
    expect(rule?.mirror).toEqual({ backend: 'shadow', percent: 5 });
    expect(l?.backendNames).toEqual(['primary', 'canary', 'shadow']);
    expect(c.listenersByBinding.get(bindingKey('podinfo', 0))).toBe(l);
  });

  it('treats a mirror at 0% as no mirror', () => {
    const l = compileSnapshot(snapshot('v1', 10, [], 0)).listeners[0];
    expect(l?.rules[0]?.mirror).toBeUndefined();
    expect(l?.backendNames).toEqual(['primary', 'canary']);
  });

  it('keeps only ready endpoints', () => {
    const c = compileSnapshot(snapshot('v1', 10, [['10.0.0.1', true], ['10.0.0.2', false]]));
    expect(c.readyEndpoints.get('primary')).toEqual([{ address: '10.0.0.1', port: 80, ready: true }]);
  });

  it('keys sockets by port, or by name for port 0', () => {
    expect(bindingKey('a', 8080)).toBe('port:8080');
    expect(bindingKey('a', 0)).toBe('name:a');
  });
});

describe('buildPools', () => {
  it('carries endpoint state and retry budgets across snapshots', () => {
    const first = buildPools(compileSnapshot(snapshot('v1', 10, [['10.0.0.1', true], ['10.0.0.2', true]])), undefined);
    const primary = first.get('podinfo')?.get('primary');
    const kept = primary?.endpoints[1];
    if (kept === undefined || primary === undefined) throw new Error('missing pool');
    kept.active = 4;
    kept.ejectionCount = 2;
    primary.budget.activeRequests = 7;

    const second = buildPools(compileSnapshot(snapshot('v2', 50, [['10.0.0.2', true], ['10.0.0.3', true]])), first);
    const next = second.get('podinfo')?.get('primary');
    expect(next?.endpoints.map((e) => e.key)).toEqual(['10.0.0.2:80', '10.0.0.3:80']);
    expect(next?.endpoints[0]).toBe(kept);
    expect(next?.endpoints[1]?.active).toBe(0);
    expect(next?.budget).toBe(primary.budget);
    expect(next?.budget.activeRequests).toBe(7);
  });

  it('builds pools only for backends the listener uses', () => {
    const pools = buildPools(compileSnapshot(snapshot('v1', 10, [])), undefined);
    expect([...(pools.get('podinfo')?.keys() ?? [])]).toEqual(['primary', 'canary', 'shadow']);
  });
});
