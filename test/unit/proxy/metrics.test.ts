import { ProxyMetrics } from '../../../proxy/metrics.js';

describe('ProxyMetrics', () => {
  it('keeps each instance in its own registry', async () => {
    const a = new ProxyMetrics(() => [], false);
    const b = new ProxyMetrics(() => [], false);
    a.recordRequest('web/split', 'canary', 200, false, 0.0004);
    expect((await a.exposition()).body).toContain('sluice_requests_total{route="web/split",backend="canary",code="200",mirrored="false"} 1');
    // Counts accumulate across scrapes (they are flushed into the counter, not reset).
    a.recordRequest('web/split', 'canary', 200, false, 0.0004);
    expect((await a.exposition()).body).toContain('sluice_requests_total{route="web/split",backend="canary",code="200",mirrored="false"} 2');
    expect((await b.exposition()).body).not.toContain('backend="canary"');
  });

  it('resolves sub-millisecond latencies and counts mirrored copies and their durations apart', async () => {
    const m = new ProxyMetrics(() => [{ listener: 'web', backend: 'canary', ejected: 2 }], false);
    m.recordRequest('web/split', 'canary', 200, false, 0.0004);
    m.recordRequest('web/split', 'canary', 200, false, 0.0004);
    m.recordRequest('web/split', 'canary', 503, false, 3);
    m.recordRequest('web/split', 'shadow', 0, true, 0.02);
    m.recordRequest('web/split', 'canary', 200, true, 0.02);
    const body = (await m.exposition()).body;
    const bucket = (le: string) => `sluice_request_duration_seconds_bucket{route="web/split",backend="canary",mirrored="false",le="${le}"}`;
    expect(body).toContain(`${bucket('0.00025')} 0\n`);
    expect(body).toContain(`${bucket('0.0005')} 2\n`);
    expect(body).toContain(`${bucket('2.5')} 2\n`);
    expect(body).toContain(`${bucket('5')} 3\n`);
    expect(body).toContain(`${bucket('+Inf')} 3\n`);
    expect(body).toContain('sluice_request_duration_seconds_sum{route="web/split",backend="canary",mirrored="false"} 3.0008\n');
    expect(body).toContain('sluice_request_duration_seconds_count{route="web/split",backend="canary",mirrored="false"} 3\n');
    expect(body).toContain('sluice_requests_total{route="web/split",backend="canary",code="503",mirrored="false"} 1\n');
    // Mirrored copies have series of their own, counts and durations alike.
    expect(body).toContain('sluice_requests_total{route="web/split",backend="shadow",code="0",mirrored="true"} 1');
    expect(body).toContain('sluice_requests_total{route="web/split",backend="canary",code="200",mirrored="true"} 1');
    expect(body).toContain('sluice_request_duration_seconds_bucket{route="web/split",backend="canary",mirrored="true",le="0.01"} 0\n');
    expect(body).toContain('sluice_request_duration_seconds_bucket{route="web/split",backend="canary",mirrored="true",le="0.025"} 1\n');
    expect(body).toContain('sluice_request_duration_seconds_count{route="web/split",backend="shadow",mirrored="true"} 1\n');
    expect(body).not.toContain('backend="shadow",mirrored="false"');
    expect(body).toContain('sluice_ejected_endpoints{listener="web",backend="canary"} 2');
    expect(body).not.toContain('namespace=');
  });

  it('exports the version and time of the snapshot in force', async () => {
    const m = new ProxyMetrics(() => [], false);
    m.configApplied('v1', 1_000_000);
    m.configApplied('v2', 2_000_000);
    m.configRejected();
    const body = (await m.exposition()).body;
    expect(body).toContain('sluice_config_version_info{version="v2"} 1');
    expect(body).not.toContain('version="v1"');
    expect(body).toContain('sluice_config_last_apply_timestamp_seconds 2000');
    expect(body).toContain('sluice_config_applies_total{result="applied"} 2');
    expect(body).toContain('sluice_config_applies_total{result="rejected"} 1');
  });
});
