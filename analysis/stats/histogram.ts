// Latency histograms as the proxies and Prometheus keep them: counts per bucket with fixed
// upper bounds, and quantiles estimated the way Prometheus' histogram_quantile() does, so
// that the live provider and the Prometheus provider report the same p99 for the same traffic.

export interface Histogram {
  /** Ascending finite upper bounds (ms) of all buckets but the last, which is +Inf. */
  upperBoundsMs: readonly number[];
  /** Non-cumulative count per bucket; one more entry than `upperBoundsMs` (the +Inf bucket). */
  counts: readonly number[];
}

export function histogramTotal(h: Histogram): number {
  let total = 0;
  for (const c of h.counts) total += c;
  return total;
}

/** Checks the shape invariants, so that a malformed report fails loudly instead of skewing a verdict. */
export function assertHistogram(h: Histogram): void {
  if (h.counts.length !== h.upperBoundsMs.length + 1) {
    throw new Error(`histogram has ${h.counts.length} counts for ${h.upperBoundsMs.length} finite bounds (expected one more, for +Inf)`);
  }
  for (let i = 1; i < h.upperBoundsMs.length; i++) {
    if (!((h.upperBoundsMs[i] as number) > (h.upperBoundsMs[i - 1] as number))) throw new Error('histogram bounds must be strictly ascending');
  }
}

/**
 * The q-quantile, interpolating linearly inside the bucket that holds the rank, exactly like
 * Prometheus' histogram_quantile(): the first bucket's lower bound is 0, and a rank that falls
 * in the +Inf bucket yields the largest finite bound. Undefined when the histogram is empty.
 */
export function histogramQuantile(q: number, h: Histogram): number | undefined {
  assertHistogram(h);
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const total = histogramTotal(h);
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let below = 0;
  for (let b = 0; b < h.counts.length; b++) {
    const count = h.counts[b] as number;
    if (below + count >= rank && count > 0) {
      if (b === h.upperBoundsMs.length) return h.upperBoundsMs[b - 1] ?? Infinity;
      const end = h.upperBoundsMs[b] as number;
      if (b === 0 && end <= 0) return end;
      const start = b === 0 ? 0 : (h.upperBoundsMs[b - 1] as number);
      return start + ((end - start) * (rank - below)) / count;
    }
    below += count;
  }
  return h.upperBoundsMs[h.upperBoundsMs.length - 1];
}

/**
 * One value standing for every observation in a bucket: the middle of the bucket (consistent
 * with the linear interpolation above), and for the +Inf bucket its finite lower bound, as
 * histogram_quantile() would answer.
 */
export function bucketRepresentatives(upperBoundsMs: readonly number[]): number[] {
  const values: number[] = [];
  let lower = 0;
  for (const upper of upperBoundsMs) {
    values.push((lower + upper) / 2);
    lower = upper;
  }
  values.push(lower);
  return values;
}

/** Element-wise sum of histograms with identical bounds. */
export function addHistograms(a: Histogram, b: Histogram): Histogram {
  if (a.upperBoundsMs.length !== b.upperBoundsMs.length || a.upperBoundsMs.some((v, i) => v !== b.upperBoundsMs[i])) {
    throw new Error('cannot add histograms with different bucket bounds');
  }
  return { upperBoundsMs: a.upperBoundsMs, counts: a.counts.map((c, i) => c + (b.counts[i] ?? 0)) };
}
