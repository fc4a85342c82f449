import { builtinPromQL, errorCountQuery, latencyBucketsQuery, requestCountQuery } from '../../../analysis/providers/prometheus-queries.js';

const served = { namespace: 'shop', backend: 'web-canary', windowMs: 60_000 };
const mirrored = { ...served, mirroredBackends: ['web-canary'] };

describe('PromQL of the builtin metrics', () => {
  it('reads a backend\'s served requests, leaving mirrored copies out', () => {
    expect(builtinPromQL('request-success-rate', served)).toBe(
      '100 * (1 - (sum(rate(sluice_requests_total{namespace="shop",backend="web-canary",mirrored!="true",code=~"5..|0"}[60s])) or vector(0)) / sum(rate(sluice_requests_total{namespace="shop",backend="web-canary",mirrored!="true"}[60s])))',
    );
    expect(builtinPromQL('request-duration-p99', served)).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(sluice_request_duration_seconds_bucket{namespace="shop",backend="web-canary",mirrored!="true"}[60s]))) * 1000',
    );
  });

  it('reads only the mirrored copies of a backend judged on them', () => {
    expect(requestCountQuery(mirrored)).toBe('sum(increase(sluice_requests_total{namespace="shop",backend="web-canary",mirrored="true"}[60s]))');
    expect(errorCountQuery(mirrored)).toBe('sum(increase(sluice_requests_total{namespace="shop",backend="web-canary",mirrored="true",code=~"5..|0"}[60s])) or vector(0)');
    expect(latencyBucketsQuery(mirrored)).toBe('sum by (le) (increase(sluice_request_duration_seconds_bucket{namespace="shop",backend="web-canary",mirrored="true"}[60s]))');
    // Other backends of the same context keep their served requests.
    expect(requestCountQuery({ ...mirrored, backend: 'web-primary' })).toContain('backend="web-primary",mirrored!="true"');
  });
});
