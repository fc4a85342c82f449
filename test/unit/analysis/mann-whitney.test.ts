import { mannWhitneyBinned } from '../../../analysis/stats/mann-whitney.js';
import { LATENCY_BUCKETS_MS } from '../../../proxy/stats-report.js';
import { logNormal, mulberry32 } from './prng.js';

/** Raw samples as counts over their distinct sorted values, the form the test takes. */
function binSamples(x: number[], y: number[]): { first: number[]; second: number[] } {
  const values = [...new Set([...x, ...y])].sort((a, b) => a - b);
  const index = new Map(values.map((v, i) => [v, i]));
  const first = new Array<number>(values.length).fill(0);
  const second = new Array<number>(values.length).fill(0);
  for (const v of x) first[index.get(v) as number]! += 1;
  for (const v of y) second[index.get(v) as number]! += 1;
  return { first, second };
}

/** Counts per LATENCY_BUCKETS_MS bucket (+Inf last) of raw latencies. */
function bucketize(latencies: number[]): number[] {
  const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const v of latencies) {
    const i = LATENCY_BUCKETS_MS.findIndex((upper) => v <= upper);
    counts[i === -1 ? LATENCY_BUCKETS_MS.length : i]! += 1;
  }
  return counts;
}

describe('Mann–Whitney U against published reference values', () => {
  it('matches the exact p of the Hollander & Wolfe chorioamnion example (R: W = 35, p-value = 0.1272)', () => {
    // Hollander & Wolfe (1973), Nonparametric Statistical Methods, p. 69: permeability constants
    // of the human chorioamnion at term (x) and at 12–26 weeks (y); one-sided "x greater".
    // R's example for wilcox.test(x, y, alternative = "g") prints W = 35, p-value = 0.1272,
    // the exact permutation p (382 of the C(15,5) = 3003 labellings have W >= 35).
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const { first, second } = binSamples(x, y);
    const result = mannWhitneyBinned(first, second);
    expect(result.method).toBe('exact');
    expect(result.u).toBe(35);
    expect(result.pGreater).toBeCloseTo(382 / 3003, 10);
    expect(result.pGreater.toFixed(4)).toBe('0.1272');
  });

  it('matches R for tied samples with the tie-corrected normal approximation (W = 51.5, p-value = 0.5966)', () => {
    // wilcox.test(x, y) on the example below reports "Wilcoxon rank sum test with continuity
    // correction: W = 51.5, p-value = 0.5966" (ties force the normal approximation in R).
    const x = [1, 5, 9, 24, 56, 21, 3, 7, 21, 4];
    const y = [12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5];
    const { first, second } = binSamples(x, y);
    const result = mannWhitneyBinned(first, second, { method: 'normal' });
    expect(result.u).toBe(51.5);
    expect(result.pTwoSided.toFixed(4)).toBe('0.5966');
  });

  it('matches R when one sample lies wholly below the other (W = 0, p-value = 0.001364)', () => {
    const x = [1, 5, 9, 24, 56, 21, 3, 7, 21, 4];
    const y = [1233, 4356, 987, 39999, 1111, 200000];
    const { first, second } = binSamples(x, y);
    const result = mannWhitneyBinned(first, second, { method: 'normal' });
    expect(result.u).toBe(0);
    expect(result.pTwoSided.toPrecision(4)).toBe('0.001364');
    expect(result.pLess).toBeLessThan(0.001);
    expect(result.pGreater).toBeGreaterThan(0.99);
  });

  it('agrees between the exact and the normal p for moderate samples with heavy ties', () => {
    const first = [3, 5, 7, 4, 2];
    const second = [6, 6, 5, 2, 1];
    const exact = mannWhitneyBinned(first, second, { method: 'exact' });
    const normal = mannWhitneyBinned(first, second, { method: 'normal' });
    expect(exact.u).toBe(normal.u);
    expect(Math.abs(exact.pGreater - normal.pGreater)).toBeLessThan(0.02);
    // The exact tails over all outcomes must add to 1 plus the probability of the observed U itself.
    expect(exact.pGreater + exact.pLess).toBeGreaterThan(1);
  });

  it('gives no evidence when every observation falls in one bucket', () => {
    const result = mannWhitneyBinned([0, 500, 0], [0, 800, 0]);
    expect(result.pGreater).toBe(1);
    expect(result.u).toBe(500 * 800 * 0.5);
  });

  it('rejects histograms of different shapes and negative counts', () => {
    expect(() => mannWhitneyBinned([1, 2], [1, 2, 3])).toThrow(/different bucket counts/);
    expect(() => mannWhitneyBinned([1, -2], [1, 2])).toThrow(/non-negative/);
  });
});

describe('Mann–Whitney U properties on latency histograms (seeded)', () => {
  it('identical latency distributions are rarely significant at alpha = 0.01', () => {
    const random = mulberry32(20261121);
    let rejections = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      const a = Array.from({ length: 300 }, () => logNormal(random, Math.log(20), 0.5));
      const b = Array.from({ length: 300 }, () => logNormal(random, Math.log(20), 0.5));
      if (mannWhitneyBinned(bucketize(a), bucketize(b)).pGreater < 0.01) rejections++;
    }
    // Expected 4 at the nominal level; 12 would be three times that.
    expect(rejections).toBeLessThanOrEqual(12);
  });

  it('a canary 50% slower is detected nearly always with 300 requests each', () => {
    const random = mulberry32(7);
    let rejections = 0;
    const runs = 100;
    for (let r = 0; r < runs; r++) {
      const canary = Array.from({ length: 300 }, () => logNormal(random, Math.log(30), 0.5));
      const primary = Array.from({ length: 300 }, () => logNormal(random, Math.log(20), 0.5));
      if (mannWhitneyBinned(bucketize(canary), bucketize(primary)).pGreater < 0.01) rejections++;
    }
    expect(rejections).toBeGreaterThanOrEqual(98);
  });
});
