import { addHistograms, bucketRepresentatives, histogramQuantile, type Histogram } from '../../../analysis/stats/histogram.js';
import { hodgesLehmannBinned, weightedMedian } from '../../../analysis/stats/hodges-lehmann.js';

const bounds = [10, 20, 50, 100];

function h(counts: number[]): Histogram {
  return { upperBoundsMs: bounds, counts };
}

describe('histogramQuantile (Prometheus histogram_quantile semantics)', () => {
  it('interpolates linearly inside the bucket holding the rank', () => {
    // 100 observations: 50 in (0,10], 30 in (10,20], 20 in (20,50].
    const hist = h([50, 30, 20, 0, 0]);
    expect(histogramQuantile(0.5, hist)).toBeCloseTo(10, 9);
    expect(histogramQuantile(0.25, hist)).toBeCloseTo(5, 9);
    // rank 65 lies 15 of 30 into (10,20]
    expect(histogramQuantile(0.65, hist)).toBeCloseTo(15, 9);
    // rank 99 lies 19 of 20 into (20,50]
    expect(histogramQuantile(0.99, hist)).toBeCloseTo(20 + (30 * 19) / 20, 9);
  });

  it('answers the largest finite bound for ranks in the +Inf bucket, and nothing for an empty histogram', () => {
    expect(histogramQuantile(0.99, h([1, 0, 0, 0, 99]))).toBe(100);
    expect(histogramQuantile(0.99, h([0, 0, 0, 0, 0]))).toBeUndefined();
    expect(histogramQuantile(-1, h([1, 0, 0, 0, 0]))).toBe(-Infinity);
    expect(histogramQuantile(2, h([1, 0, 0, 0, 0]))).toBe(Infinity);
  });

  it('skips empty buckets before the rank', () => {
    expect(histogramQuantile(0.5, h([0, 0, 10, 0, 0]))).toBeCloseTo(35, 9);
  });

  it('rejects malformed histograms', () => {
    expect(() => histogramQuantile(0.5, { upperBoundsMs: bounds, counts: [1, 2] })).toThrow(/expected one more/);
    expect(() => histogramQuantile(0.5, { upperBoundsMs: [2, 1], counts: [1, 2, 3] })).toThrow(/ascending/);
  });

  it('adds histograms with the same bounds only', () => {
    expect(addHistograms(h([1, 2, 3, 4, 5]), h([1, 1, 1, 1, 1])).counts).toEqual([2, 3, 4, 5, 6]);
    expect(() => addHistograms(h([1, 2, 3, 4, 5]), { upperBoundsMs: [1, 2, 3, 4], counts: [0, 0, 0, 0, 0] })).toThrow(/different bucket bounds/);
  });

  it('represents each bucket by its middle, and +Inf by the largest bound', () => {
    expect(bucketRepresentatives(bounds)).toEqual([5, 15, 35, 75, 100]);
  });
});

describe('Hodges–Lehmann estimates', () => {
  it('weighted median averages the two middle values on an exact tie', () => {
    expect(weightedMedian([{ value: 1, weight: 1 }, { value: 3, weight: 1 }])).toBe(2);
    expect(weightedMedian([{ value: 1, weight: 1 }, { value: 3, weight: 2 }])).toBe(3);
    expect(weightedMedian([])).toBeUndefined();
  });

  it('on raw-like samples equals the textbook median of pairwise differences', () => {
    // One observation per bucket middle: values 5, 15, 35 against 5, 15. Differences:
    // 0, -10, 10, 0, 30, 20 → sorted -10, 0, 0, 10, 20, 30 → median 5.
    const canary = h([1, 1, 1, 0, 0]);
    const primary = h([1, 1, 0, 0, 0]);
    expect(hodgesLehmannBinned(canary, primary)?.shift).toBe(5);
  });

  it('gives ratio 1 for identical histograms and the ratio of bucket middles for disjoint ones', () => {
    expect(hodgesLehmannBinned(h([10, 20, 30, 5, 1]), h([10, 20, 30, 5, 1]))?.ratio).toBeCloseTo(1, 9);
    // Everything in (10,20] against everything in (0,10]: 15 / 5 = 3 with bucket middles.
    expect(hodgesLehmannBinned(h([0, 10, 0, 0, 0]), h([10, 0, 0, 0, 0]))?.ratio).toBeCloseTo(3, 9);
  });
});
