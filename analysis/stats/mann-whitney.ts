// Mann–Whitney U test on binned samples: two histograms over the same ordered buckets.
//
// Latency arrives as histogram buckets (live proxy counters, Prometheus `_bucket` series), not
// as raw observations, so every observation in a bucket is a tie with the others in it. The
// test below treats buckets exactly as tied groups: U counts the pairs in which the first
// sample is larger plus half the tied pairs, the variance carries the tie correction, and for
// small samples the p-value is exact under the permutation null conditional on the tie pattern.

import { normalCdf, normalUpperTail } from './normal.js';

export interface MannWhitneyResult {
  n1: number;
  n2: number;
  /** Pairs (x from first, y from second) with x > y, plus half of the tied pairs. */
  u: number;
  /** U / (n1 n2): the probability that a first-sample observation exceeds a second-sample one (ties half). */
  commonLanguageEffect: number;
  /** One-sided p-value for "the first sample tends to be larger". */
  pGreater: number;
  /** One-sided p-value for "the first sample tends to be smaller". */
  pLess: number;
  /** Two-sided p-value. */
  pTwoSided: number;
  method: 'exact' | 'normal';
  /** Standardised statistic of the normal approximation (with continuity correction toward the null). */
  z?: number;
}

export interface MannWhitneyOptions {
  /**
   * 'auto' computes the exact distribution when both samples are whole counts and fewer than
   * `exactBelow` observations in total, the normal approximation otherwise.
   */
  method?: 'auto' | 'exact' | 'normal';
  /** Total sample size below which 'auto' is exact (default 50, as R's wilcox.test). */
  exactBelow?: number;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function validate(first: readonly number[], second: readonly number[]): void {
  if (first.length !== second.length) {
    throw new Error(`histograms have different bucket counts (${first.length} and ${second.length})`);
  }
  for (const v of [...first, ...second]) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`bucket counts must be finite and non-negative, got ${v}`);
  }
}

/** U of the first sample over ordered bins: each first-sample observation beats all earlier second-sample ones, ties half. */
function uStatistic(first: readonly number[], second: readonly number[]): number {
  let u = 0;
  let secondBelow = 0;
  for (let k = 0; k < first.length; k++) {
    const a = first[k] ?? 0;
    const b = second[k] ?? 0;
    u += a * (secondBelow + 0.5 * b);
    secondBelow += b;
  }
  return u;
}

function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  const m = Math.min(k, n - k);
  for (let i = 1; i <= m; i++) result = (result * (n - m + i)) / i;
  return result;
}

/**
 * Exact null distribution of 2U given the bin totals: every way of labelling n1 of the N
 * observations "first" is equally likely, and a labelling with a_k firsts in bin k occurs in
 * prod C(t_k, a_k) ways. Dynamic programme over bins with state (firsts so far, 2U so far).
 */
function exactTails(first: readonly number[], second: readonly number[], n1: number, n2: number, twoUObserved: number): { greater: number; less: number } {
  const maxTwoU = 2 * n1 * n2;
  let dist: Float64Array[] = Array.from({ length: n1 + 1 }, () => new Float64Array(maxTwoU + 1));
  (dist[0] as Float64Array)[0] = 1;
  let seen = 0;
  for (let k = 0; k < first.length; k++) {
    const t = (first[k] ?? 0) + (second[k] ?? 0);
    if (t === 0) continue;
    const next: Float64Array[] = Array.from({ length: n1 + 1 }, () => new Float64Array(maxTwoU + 1));
    for (let i = 0; i <= n1; i++) {
      const row = dist[i] as Float64Array;
      const j = seen - i;
      if (j < 0 || j > n2) continue;
      for (let a = 0; a <= t && i + a <= n1; a++) {
        const b = t - a;
        if (j + b > n2) continue;
        const ways = binomial(t, a);
        // Each of the a firsts beats the j seconds already placed and ties with the b seconds here.
        const add = a * (2 * j + b);
        const target = next[i + a] as Float64Array;
        for (let v = 0; v + add <= maxTwoU; v++) {
          const w = row[v] as number;
          if (w !== 0) target[v + add] = (target[v + add] as number) + w * ways;
        }
      }
    }
    dist = next;
    seen += t;
  }
  const final = dist[n1] as Float64Array;
  const total = binomial(n1 + n2, n1);
  let greater = 0;
  let less = 0;
  for (let v = 0; v <= maxTwoU; v++) {
    const w = final[v] as number;
    // 2U is an integer; compare with a margin against float noise in the observed value.
    if (v >= twoUObserved - 1e-9) greater += w;
    if (v <= twoUObserved + 1e-9) less += w;
  }
  return { greater: Math.min(1, greater / total), less: Math.min(1, less / total) };
}

/**
 * Mann–Whitney U test of two samples given as counts over the same ordered bins (ascending).
 * `first` is the sample whose shift is of interest (the canary).
 */
export function mannWhitneyBinned(first: readonly number[], second: readonly number[], options: MannWhitneyOptions = {}): MannWhitneyResult {
  validate(first, second);
  const n1 = sum(first);
  const n2 = sum(second);
  const u = uStatistic(first, second);
  if (n1 === 0 || n2 === 0) {
    return { n1, n2, u, commonLanguageEffect: 0.5, pGreater: 1, pLess: 1, pTwoSided: 1, method: 'normal' };
  }
  const commonLanguageEffect = u / (n1 * n2);
  const wholeCounts = [...first, ...second].every((v) => Number.isInteger(v));
  const method = options.method ?? 'auto';
  const useExact = method === 'exact' || (method === 'auto' && wholeCounts && n1 + n2 < (options.exactBelow ?? 50));
  if (useExact) {
    if (!wholeCounts) throw new Error('the exact Mann–Whitney distribution needs whole counts');
    const { greater, less } = exactTails(first, second, n1, n2, 2 * u);
    return { n1, n2, u, commonLanguageEffect, pGreater: greater, pLess: less, pTwoSided: Math.min(1, 2 * Math.min(greater, less)), method: 'exact' };
  }
  const n = n1 + n2;
  let tieTerm = 0;
  for (let k = 0; k < first.length; k++) {
    const t = (first[k] ?? 0) + (second[k] ?? 0);
    tieTerm += t * t * t - t;
  }
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const mean = (n1 * n2) / 2;
  if (!(variance > 0)) {
    // Every observation in one bucket: the samples cannot be told apart.
    return { n1, n2, u, commonLanguageEffect, pGreater: 1, pLess: 1, pTwoSided: 1, method: 'normal', z: 0 };
  }
  const sigma = Math.sqrt(variance);
  // Continuity correction of half a unit of U toward the mean, as R's wilcox.test(correct = TRUE).
  const pGreater = normalUpperTail((u - mean - 0.5) / sigma);
  const pLess = normalCdf((u - mean + 0.5) / sigma);
  const z = (u - mean - Math.sign(u - mean) * 0.5) / sigma;
  return { n1, n2, u, commonLanguageEffect, pGreater, pLess, pTwoSided: Math.min(1, 2 * Math.min(pGreater, pLess)), method: 'normal', z };
}
