import { encodeMessage, parseClientMessage, parseServerMessage, validateStatsReport } from '../../../../operator/config-server/protocol.js';
import { LATENCY_BUCKETS_MS, type StatsReport } from '../../../../proxy/stats-report.js';

const report = (): StatsReport => ({
  proxyId: 'waypoint-1',
  startedAt: 1,
  at: 2,
  snapshotVersion: 'v1',
  backends: {
    'podinfo-primary': { requests: 10, errors: 1, latencyCounts: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), latencySumMs: 12.5 },
  },
});

describe('config stream protocol', () => {
  it('round-trips every message through one JSON line', () => {
    const snapshot = { type: 'snapshot' as const, version: 'v7', snapshot: { version: 'v7', listeners: [], backends: {} } };
    const line = encodeMessage(snapshot);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(parseServerMessage(line.trim())).toEqual({ ok: true, message: snapshot });
    for (const message of [
      { type: 'ack' as const, version: 'v7' },
      { type: 'nack' as const, version: 'v7', error: 'listeners[0].port: must be an integer' },
      { type: 'ping' as const },
      { type: 'stats' as const, report: report() },
    ]) {
      expect(parseClientMessage(encodeMessage(message).trim())).toEqual({ ok: true, message });
    }
  });

  it('rejects malformed messages with a reason', () => {
    expect(parseClientMessage('not json')).toMatchObject({ ok: false, error: expect.stringContaining('not JSON') });
    expect(parseClientMessage('[1]')).toMatchObject({ ok: false, error: 'message must be a JSON object' });
    expect(parseClientMessage('{"type":"ack"}')).toMatchObject({ ok: false, error: 'ack without a version' });
    expect(parseClientMessage('{"type":"nack","version":"v"}')).toMatchObject({ ok: false, error: 'nack without an error' });
    expect(parseClientMessage('{"type":"bogus"}')).toMatchObject({ ok: false, error: 'unknown message type "bogus"' });
    expect(parseServerMessage('{"type":"snapshot","version":""}')).toMatchObject({ ok: false });
    expect(parseServerMessage('{"type":"snapshot","version":"v"}')).toMatchObject({ ok: false, error: 'snapshot message without a snapshot' });
  });

  it('checks the shape of stats reports, including the histogram length', () => {
    expect(validateStatsReport(report()).ok).toBe(true);
    const short = report();
    short.backends['podinfo-primary']!.latencyCounts = [1, 2, 3];
    expect(validateStatsReport(short)).toMatchObject({ ok: false, error: expect.stringContaining('latencyCounts must hold 26 counts') });
    expect(validateStatsReport({ ...report(), proxyId: '' })).toMatchObject({ ok: false });
    const negative = report();
    negative.backends['podinfo-primary']!.errors = -1;
    expect(validateStatsReport(negative)).toMatchObject({ ok: false, error: expect.stringContaining('counts') });
    expect(validateStatsReport({ ...report(), backends: [] })).toMatchObject({ ok: false });
  });

  it('keeps mirrored counters when a proxy sends them, checked like the others, and does without them', () => {
    const counters = { requests: 4, errors: 1, latencyCounts: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(1), latencySumMs: 80 };
    const withCopies = { ...report(), mirrored: { 'podinfo-canary': counters } };
    expect(validateStatsReport(withCopies)).toEqual({ ok: true, message: withCopies });
    expect(validateStatsReport(report())).toEqual({ ok: true, message: report() });
    const bad = { ...report(), mirrored: { 'podinfo-canary': { ...counters, latencyCounts: [1] } } };
    expect(validateStatsReport(bad)).toMatchObject({ ok: false, error: 'stats report: mirrored["podinfo-canary"].latencyCounts must hold 26 counts' });
    expect(validateStatsReport({ ...report(), mirrored: 3 })).toMatchObject({ ok: false, error: 'stats report: mirrored must be an object' });
  });

  it('caps the length of NACK errors', () => {
    const parsed = parseClientMessage(JSON.stringify({ type: 'nack', version: 'v', error: 'x'.repeat(10_000) }));
    expect(parsed.ok && parsed.message.type === 'nack' && parsed.message.error.length).toBe(4096);
  });
});
