// A snapshot the size of a busy namespace: 6 routes (listeners) with header and weight rules,
// 12 backends of 20 endpoints each. Valid for the proxy's validator, so that the clients do the
// work a real proxy does on every push (parse, validate).
import type { BackendConfig, ListenerConfig, Snapshot } from '../../../proxy/snapshot.js';

export function benchSnapshot(version: string, canaryWeight: number): Snapshot {
  const backends: Record<string, BackendConfig> = {};
  const listeners: ListenerConfig[] = [];
  for (let app = 0; app < 6; app++) {
    const primary = `app${app}-primary`;
    const canary = `app${app}-canary`;
    for (const [b, name] of [primary, canary].entries()) {
      backends[name] = {
        endpoints: Array.from({ length: 20 }, (_, i) => ({ address: `198.18.${app * 2 + b}.${i + 1}`, port: 8080, ready: i % 10 !== 9 })),
      };
    }
    listeners.push({
      name: `app${app}`,
      port: 15100 + app,
      rules: [
        {
          name: 'beta-testers',
          matches: [{ headers: [{ name: 'x-canary', exact: 'always' }] }, { cookies: [{ name: 'beta', present: true }] }],
          backends: [{ name: canary, weight: 1 }],
          timeout: 10_000,
        },
        {
          name: 'default',
          backends: [
            { name: primary, weight: 100 - canaryWeight },
            { name: canary, weight: canaryWeight },
          ],
          retries: { attempts: 2, perTryTimeout: 2_000, retryOn: ['connect-failure', 'reset', '503'] },
        },
      ],
      outlierDetection: { consecutiveFailures: 5 },
    });
  }
  return { version, listeners, backends };
}
