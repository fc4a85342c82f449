// The compare judge: the canary against the primary over the same window, so that a release
// is judged by how it differs from what runs today rather than by a fixed number that may be
// wrong for this service. Both comparisons share one rule: the canary fails only when it is
// worse by more than `maxRelativeDegradation` AND the evidence for that is clear at the
// configured confidence; tiny but statistically significant differences never fail a release.
//
// Error rate: the sequential test in ../stats/sequential-rate-test.ts, valid however often it
// is evaluated, so live counters can fail a canary within seconds of clear evidence.
// Latency: Mann–Whitney U on the histogram buckets with the Hodges–Lehmann ratio as the effect
// size. This is a fixed-sample test: evaluate it once per analysis interval, not every tick.

import { histogramQuantile, histogramTotal, type Histogram } from '../stats/histogram.js';
import { hodgesLehmannBinned } from '../stats/hodges-lehmann.js';
import { mannWhitneyBinned } from '../stats/mann-whitney.js';
import { errorRateSequentialTest, type PairedRateCounts } from '../stats/sequential-rate-test.js';
import { count, percentOf, ratioText, significant, withUnit } from './format.js';
import { finiteValues, type Judgement } from './judgement.js';

export interface CompareSettings {
  /** Confidence required before failing a canary, e.g. 0.99 (false failures at most 1%). */
  confidence: number;
  /** Allowed relative degradation, e.g. 0.1: the canary may be up to 10% worse. */
  maxRelativeDegradation: number;
  /** Canary requests needed before a pass can be given (clear failures need no minimum). */
  minRequests: number;
  /** The window the data covers, as written in the Canary (e.g. "1m"), for messages. */
  window?: string;
}

function alphaOf(settings: CompareSettings): number {
  const { confidence } = settings;
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be between 0 and 1 (exclusive), got ${confidence}`);
  return 1 - confidence;
}

function over(window: string | undefined): string {
  return window ? ` over ${window}` : '';
}

/** Compares error rates; `samples` are consecutive ticks of the window (one element for a single window). */
export function compareErrorRates(samples: readonly PairedRateCounts[], settings: CompareSettings, metric = 'request-success-rate'): Judgement {
  const alpha = alphaOf(settings);
  const test = errorRateSequentialTest(samples, { alpha, maxRelativeDegradation: settings.maxRelativeDegradation });
  const { canary, primary } = test;
  const canaryRate = canary.requests > 0 ? canary.errors / canary.requests : undefined;
  const primaryRate = primary.requests > 0 ? primary.errors / primary.requests : undefined;
  const values = finiteValues({
    canaryRequests: canary.requests,
    canaryErrors: canary.errors,
    primaryRequests: primary.requests,
    primaryErrors: primary.errors,
    canarySuccessRate: canaryRate === undefined ? undefined : 100 * (1 - canaryRate),
    primarySuccessRate: primaryRate === undefined ? undefined : 100 * (1 - primaryRate),
    evidence: test.likelihoodRatio,
    evidenceThreshold: test.threshold,
  });
  const allowed = percentOf(settings.maxRelativeDegradation);
  const confidence = percentOf(1 - alpha);
  const evidenceValue = `evidence ${significant(test.likelihoodRatio, 2)}`;
  const threshold = significant(test.threshold, 3);
  const rates = `canary error rate ${ratioText(canary.errors, canary.requests)} vs primary ${ratioText(primary.errors, primary.requests)}${over(settings.window)}`;
  if (test.reject) {
    return {
      verdict: 'fail',
      values,
      reason: `${metric}: ${rates}: more than ${allowed} worse than the primary at ${confidence} confidence (${evidenceValue} ≥ ${threshold})`,
    };
  }
  if (canary.requests === 0) {
    return { verdict: 'inconclusive', values, reason: `${metric}: the canary served no requests${over(settings.window)}, nothing to judge` };
  }
  if (primary.requests === 0) {
    return { verdict: 'inconclusive', values, reason: `${metric}: the primary served no requests${over(settings.window)}, nothing to compare the canary with` };
  }
  if (canary.requests < settings.minRequests) {
    return {
      verdict: 'inconclusive',
      values,
      reason: `${metric}: only ${count(canary.requests)} canary requests, fewer than the ${count(settings.minRequests)} needed to pass it; ${rates}, no clear degradation yet (${evidenceValue} < ${threshold})`,
    };
  }
  return {
    verdict: 'pass',
    values,
    reason: `${metric}: ${rates}: no evidence that the canary is more than ${allowed} worse (${evidenceValue} < ${threshold})`,
  };
}

export interface LatencyCompareSettings extends CompareSettings {
  /**
   * Typical slowdown (Hodges–Lehmann shift) below which a canary is never failed, however
   * significant: a 0.2 ms → 0.3 ms change on loopback is +50% but harms nobody. Default 1 ms.
   */
  minLatencyDifferenceMs?: number;
}

function describeSlowdown(ratio: number, shift: number, p99s: string): string {
  const delta = `${shift >= 0 ? '+' : '−'}${withUnit(Math.abs(shift), 'ms')}`;
  if (Math.abs(ratio - 1) < 0.005) return `canary and primary requests typically take as long (${p99s})`;
  if (ratio >= 2) return `canary requests are typically ${significant(ratio, 2)}× as slow as the primary's (${delta}, ${p99s})`;
  if (ratio > 1) return `canary requests are typically ${percentOf(ratio - 1)} slower than the primary's (${delta}, ${p99s})`;
  return `canary requests are typically ${percentOf(1 - ratio)} faster than the primary's (${delta}, ${p99s})`;
}

/** Compares latency histograms (identical bucket bounds) of canary and primary over the same window. */
export function compareLatency(canary: Histogram, primary: Histogram, settings: LatencyCompareSettings, metric = 'request-duration'): Judgement {
  const alpha = alphaOf(settings);
  const minDifference = settings.minLatencyDifferenceMs ?? 1;
  const canaryRequests = histogramTotal(canary);
  const primaryRequests = histogramTotal(primary);
  const canaryP99 = histogramQuantile(0.99, canary);
  const primaryP99 = histogramQuantile(0.99, primary);
  const baseValues = { canaryRequests, primaryRequests, canaryP99Ms: canaryP99, primaryP99Ms: primaryP99 };
  if (canaryRequests < Math.max(1, settings.minRequests) || primaryRequests < Math.max(1, settings.minRequests)) {
    const which = canaryRequests <= primaryRequests ? `canary` : `primary`;
    const n = Math.min(canaryRequests, primaryRequests);
    return {
      verdict: 'inconclusive',
      values: finiteValues(baseValues),
      reason:
        n === 0
          ? `${metric}: the ${which} served no requests${over(settings.window)}, nothing to compare`
          : `${metric}: only ${count(n)} ${which} requests${over(settings.window)}, fewer than the ${count(settings.minRequests)} needed to compare latency`,
    };
  }
  const test = mannWhitneyBinned(canary.counts, primary.counts);
  const estimate = hodgesLehmannBinned(canary, primary);
  const ratio = estimate?.ratio ?? 1;
  const shift = estimate?.shift ?? 0;
  const values = finiteValues({ ...baseValues, hodgesLehmannRatio: ratio, hodgesLehmannShiftMs: shift, pValue: test.pGreater });
  const p99s = `p99 ${withUnit(canaryP99 ?? 0, 'ms')} vs ${withUnit(primaryP99 ?? 0, 'ms')}`;
  const typical = describeSlowdown(ratio, shift, p99s);
  const allowed = percentOf(settings.maxRelativeDegradation);
  const significantAt = test.pGreater < alpha;
  const pText = `Mann–Whitney p = ${significant(test.pGreater, 2)}`;
  if (significantAt && ratio > 1 + settings.maxRelativeDegradation && shift >= minDifference) {
    return {
      verdict: 'fail',
      values,
      reason: `${metric}: ${typical}${over(settings.window)}, more than the allowed ${allowed}, at ${percentOf(1 - alpha)} confidence (${pText})`,
    };
  }
  let why: string;
  if (ratio <= 1 + settings.maxRelativeDegradation) why = `within the allowed ${allowed}`;
  else if (!significantAt) why = `not significant at ${percentOf(1 - alpha)} confidence (${pText})`;
  else why = `less than the ${withUnit(minDifference, 'ms')} that is worth failing for`;
  return { verdict: 'pass', values, reason: `${metric}: ${typical}${over(settings.window)}, ${why}` };
}
