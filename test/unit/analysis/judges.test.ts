import { compareErrorRates, compareLatency } from '../../../analysis/judges/compare.js';
import { worstVerdict } from '../../../analysis/judges/judgement.js';
import { judgeThreshold } from '../../../analysis/judges/threshold.js';
import type { Histogram } from '../../../analysis/stats/histogram.js';

describe('threshold judge', () => {
  const base = { metric: 'request-success-rate', unit: 'percent' as const, thresholdRange: { min: 99 }, minRequests: 50, window: '1m' };

  it('passes inside the range and says so with the traffic behind it', () => {
    const j = judgeThreshold({ ...base, value: 99.82, requests: 5231 });
    expect(j.verdict).toBe('pass');
    expect(j.reason).toBe('request-success-rate 99.82% is at or above the minimum of 99% (over 1m, 5,231 requests)');
    expect(j.values).toEqual({ value: 99.82, requests: 5231, min: 99 });
  });

  it('fails outside the range', () => {
    const j = judgeThreshold({ ...base, value: 97.5, requests: 5231 });
    expect(j.verdict).toBe('fail');
    expect(j.reason).toBe('request-success-rate 97.5% is below the minimum of 99% (over 1m, 5,231 requests)');
    const slow = judgeThreshold({ metric: 'request-duration', unit: 'ms', value: 812.4, thresholdRange: { max: 500 }, window: '1m', requests: 4210 });
    expect(slow.verdict).toBe('fail');
    expect(slow.reason).toBe('request-duration 812 ms is above the maximum of 500 ms (over 1m, 4,210 requests)');
  });

  it('is inconclusive, not failed, with too few requests or no data', () => {
    const few = judgeThreshold({ ...base, value: 50, requests: 12 });
    expect(few.verdict).toBe('inconclusive');
    expect(few.reason).toBe('request-success-rate: only 12 requests in the last 1m, fewer than the 50 needed to judge');
    const none = judgeThreshold({ ...base, value: undefined, noDataReason: 'the query returned no series' });
    expect(none.verdict).toBe('inconclusive');
    expect(none.reason).toBe('request-success-rate: no data in the last 1m (the query returned no series), so it was not judged');
    expect(judgeThreshold({ ...base, value: NaN }).verdict).toBe('inconclusive');
  });

  it('judges custom metrics with both bounds and no request count', () => {
    const j = judgeThreshold({ metric: '404s percentage', value: 3, thresholdRange: { min: 0, max: 5 } });
    expect(j.verdict).toBe('pass');
    expect(j.reason).toBe('404s percentage 3 is within 0–5');
    expect(judgeThreshold({ metric: 'x', value: 6, thresholdRange: { min: null, max: 5 } }).verdict).toBe('fail');
  });

  it('orders verdicts by severity', () => {
    expect(worstVerdict(['pass', 'inconclusive', 'pass'])).toBe('inconclusive');
    expect(worstVerdict(['inconclusive', 'fail'])).toBe('fail');
    expect(worstVerdict([])).toBe('pass');
  });
});

describe('compare judge: error rate', () => {
  const settings = { confidence: 0.99, maxRelativeDegradation: 0.1, minRequests: 100, window: '1m' };
  const pair = (cr: number, ce: number, pr: number, pe: number) => ({ canary: { requests: cr, errors: ce }, primary: { requests: pr, errors: pe } });

  it('fails a clearly worse canary and says by how much', () => {
    const j = compareErrorRates([pair(1000, 51, 1000, 1)], settings);
    expect(j.verdict).toBe('fail');
    expect(j.reason).toMatch(
      /^request-success-rate: canary error rate 5\.1% \(51 of 1,000\) vs primary 0\.1% \(1 of 1,000\) over 1m: more than 10% worse than the primary at 99% confidence \(evidence .+ ≥ 100\)$/,
    );
    expect(j.values.canarySuccessRate).toBeCloseTo(94.9, 9);
    expect(j.values.primarySuccessRate).toBeCloseTo(99.9, 9);
    expect(j.values.evidence).toBeGreaterThanOrEqual(100);
  });

  it('passes a canary like the primary once it has served enough requests', () => {
    const j = compareErrorRates([pair(1000, 1, 1000, 1)], settings);
    expect(j.verdict).toBe('pass');
    expect(j.reason).toMatch(/no evidence that the canary is more than 10% worse/);
  });

  it('is inconclusive below minRequests unless the evidence is already clear', () => {
    expect(compareErrorRates([pair(40, 0, 400, 0)], settings).verdict).toBe('inconclusive');
    expect(compareErrorRates([pair(40, 0, 400, 0)], settings).reason).toMatch(/only 40 canary requests, fewer than the 100 needed/);
    // 20 of 40 failing while the primary is clean is clear long before 100 requests.
    expect(compareErrorRates([pair(40, 20, 400, 0)], settings).verdict).toBe('fail');
  });

  it('is inconclusive when either side served nothing', () => {
    expect(compareErrorRates([pair(0, 0, 400, 3)], settings).reason).toMatch(/canary served no requests/);
    expect(compareErrorRates([pair(400, 3, 0, 0)], settings).reason).toMatch(/primary served no requests/);
  });
});

describe('compare judge: latency', () => {
  const bounds = [5, 10, 25, 50, 100, 250];
  const h = (counts: number[]): Histogram => ({ upperBoundsMs: bounds, counts });
  const settings = { confidence: 0.99, maxRelativeDegradation: 0.1, minRequests: 100, window: '1m' };

  it('fails a canary that is significantly and materially slower', () => {
    const j = compareLatency(h([0, 10, 100, 300, 80, 10, 0]), h([10, 300, 150, 30, 10, 0, 0]), settings);
    expect(j.verdict).toBe('fail');
    expect(j.reason).toMatch(/^request-duration: canary requests are typically [\d.]+× as slow as the primary's \(\+[\d.]+ ms, p99 .+ ms vs .+ ms\) over 1m, more than the allowed 10%, at 99% confidence \(Mann–Whitney p = .+\)$/);
    expect(j.values.hodgesLehmannRatio).toBeGreaterThan(1.1);
    expect(j.values.pValue).toBeLessThan(0.01);
  });

  it('passes a significant but small slowdown (the effect-size floor)', () => {
    // Same buckets, slightly more mass one bucket up: significant with this much data, yet small.
    const j = compareLatency(h([0, 0, 50_000, 52_000, 0, 0, 0]), h([0, 0, 52_000, 50_000, 0, 0, 0]), settings);
    expect(j.values.pValue).toBeLessThan(0.01);
    expect(j.verdict).toBe('pass');
  });

  it('passes a slowdown that is not significant, and a faster canary', () => {
    expect(compareLatency(h([0, 60, 60, 0, 0, 0, 0]), h([0, 62, 58, 0, 0, 0, 0]), settings).verdict).toBe('pass');
    const faster = compareLatency(h([300, 10, 0, 0, 0, 0, 0]), h([10, 300, 0, 0, 0, 0, 0]), settings);
    expect(faster.verdict).toBe('pass');
    expect(faster.reason).toMatch(/faster than the primary's/);
  });

  it('does not fail a sub-millisecond slowdown, however relative', () => {
    const fine = { upperBoundsMs: [0.25, 0.5, 1], counts: [0, 0, 1000, 0] };
    const coarse = { upperBoundsMs: [0.25, 0.5, 1], counts: [1000, 0, 0, 0] };
    const j = compareLatency(fine, coarse, settings);
    expect(j.values.hodgesLehmannRatio).toBeGreaterThan(5);
    expect(j.verdict).toBe('pass');
    expect(j.reason).toMatch(/less than the 1 ms that is worth failing for/);
  });

  it('is inconclusive with too few requests on either side', () => {
    const j = compareLatency(h([0, 10, 10, 0, 0, 0, 0]), h([10, 300, 150, 30, 10, 0, 0]), settings);
    expect(j.verdict).toBe('inconclusive');
    expect(j.reason).toBe('request-duration: only 20 canary requests over 1m, fewer than the 100 needed to compare latency');
  });
});
