// Hodges–Lehmann estimates of how much slower one latency histogram is than another: the
// median over all cross-sample pairs of the ratio (and of the difference) of their values.
// Unlike a difference of p99s it uses every observation, and it is the effect size that
// belongs with the Mann–Whitney test (the shift that test is most sensitive to).

import { bucketRepresentatives, assertHistogram, type Histogram } from './histogram.js';

interface WeightedValue {
  value: number;
  weight: number;
}

/** Median of a weighted set; when the halfway point falls exactly between two values, their mean. */
export function weightedMedian(entries: WeightedValue[]): number | undefined {
  const items = entries.filter((e) => e.weight > 0).sort((x, y) => x.value - y.value);
  let total = 0;
  for (const e of items) total += e.weight;
  if (!(total > 0)) return undefined;
  const half = total / 2;
  let cumulative = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as WeightedValue;
    cumulative += item.weight;
    const relative = (cumulative - half) / total;
    if (Math.abs(relative) < 1e-12) {
      const next = items[i + 1];
      return next ? (item.value + next.value) / 2 : item.value;
    }
    if (cumulative > half) return item.value;
  }
  return items[items.length - 1]?.value;
}

export interface HodgesLehmannEstimate {
  /** Median over pairs of first/second: 1.3 means the first sample is typically 30% slower. */
  ratio: number;
  /** Median over pairs of first − second, in the histogram's unit. */
  shift: number;
}

/** Estimates on binned samples, each bucket standing in by its representative value. */
export function hodgesLehmannBinned(first: Histogram, second: Histogram): HodgesLehmannEstimate | undefined {
  assertHistogram(first);
  assertHistogram(second);
  if (first.upperBoundsMs.length !== second.upperBoundsMs.length || first.upperBoundsMs.some((v, i) => v !== second.upperBoundsMs[i])) {
    throw new Error('Hodges–Lehmann estimate needs histograms with identical bucket bounds');
  }
  const values = bucketRepresentatives(first.upperBoundsMs);
  const logRatios: WeightedValue[] = [];
  const shifts: WeightedValue[] = [];
  for (let i = 0; i < values.length; i++) {
    const a = first.counts[i] ?? 0;
    if (a === 0) continue;
    for (let j = 0; j < values.length; j++) {
      const b = second.counts[j] ?? 0;
      if (b === 0) continue;
      const x = values[i] as number;
      const y = values[j] as number;
      // A bucket whose upper bound is 0 has no ratio to speak of; its difference still counts.
      if (x > 0 && y > 0) logRatios.push({ value: Math.log(x) - Math.log(y), weight: a * b });
      shifts.push({ value: x - y, weight: a * b });
    }
  }
  const logRatio = weightedMedian(logRatios);
  const shift = weightedMedian(shifts);
  if (logRatio === undefined || shift === undefined) return undefined;
  return { ratio: Math.exp(logRatio), shift };
}
