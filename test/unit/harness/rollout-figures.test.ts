import type { LoadSample } from '../../harness/load-generator.js';
import { describeFigures, rolloutFigures } from '../../harness/rollout-figures.js';

const ok = (sentAt: number, version: string, ms = 5): LoadSample => ({ sentAt, ms, status: 200, version });
const appError = (sentAt: number, version: string): LoadSample => ({ sentAt, ms: 5, status: 500, version });

describe('rolloutFigures', () => {
  it('measures from the first bad canary answer to the last request the canary served, and to 0% in status', () => {
    const samples = [
      ok(1000, 'v1'),
      ok(2000, 'v2'),
      appError(3000, 'v2'),
      ok(4000, 'v1'),
      appError(9000, 'v2'),
      ok(12_995, 'v2'),
      ok(14_000, 'v1'),
      { sentAt: 14_500, ms: 1, status: 502, reply: 'upstream-failure' },
      { sentAt: 15_000, ms: 0, status: 0, error: 'ECONNREFUSED' },
    ];
    const statuses = [
      { at: 500, phase: 'Progressing', canaryWeight: 25 },
      { at: 13_500, phase: 'Failed', canaryWeight: 0 },
    ];
    const figures = rolloutFigures(samples, statuses, { canaryVersion: 'v2', isBad: (s) => s.status === 500 });
    expect(figures).toEqual({
      requests: 9,
      failed: 4,
      appErrors: { v2: 2 },
      meshFailures: { '502 upstream-failure': 1, 'no answer: ECONNREFUSED': 1 },
      byVersion: { v1: 3, v2: 4 },
      // The first bad answer arrived at 3000 + 5 ms.
      firstBadAt: 3005,
      lastCanaryAt: 12_995,
      secondsToNoCanaryTraffic: 9.99,
      secondsToZeroWeight: 10.495,
    });
    expect(describeFigures(figures)).toBe(
      '9 requests, 4 failed, (2 app 500s from v2, 1× 502 upstream-failure, 1× no answer: ECONNREFUSED), first bad answer → no canary traffic 10.0 s, → status at 0% 10.5 s',
    );
  });

  it('has no time to safety when the canary never answered badly', () => {
    const figures = rolloutFigures([ok(1, 'v1'), ok(2, 'v2', 80)], [], { canaryVersion: 'v2', isBad: (s) => s.ms > 100 });
    expect(figures.failed).toBe(0);
    expect(figures.firstBadAt).toBeUndefined();
    expect(figures.secondsToNoCanaryTraffic).toBeUndefined();
  });

  it('judges slowness by the answer, and counts a slow answer sent before the switch', () => {
    const figures = rolloutFigures([ok(1000, 'v2', 80), ok(1500, 'v2', 80), ok(2000, 'v1')], [], { canaryVersion: 'v2', isBad: (s) => s.ms > 60 });
    expect(figures.firstBadAt).toBe(1080);
    expect(figures.secondsToNoCanaryTraffic).toBeCloseTo(0.42);
  });
});
