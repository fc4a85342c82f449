// The traffic steps of a rollout, from the spec alone. Pure.
import type { CanaryAnalysis } from '../../crds/canary.js';

export type RolloutStrategy = 'canary' | 'ab' | 'blue-green';

export function rolloutStrategy(analysis: CanaryAnalysis): RolloutStrategy {
  if (analysis.stepWeight !== undefined || analysis.stepWeights !== undefined) return 'canary';
  return analysis.match?.length ? 'ab' : 'blue-green';
}

export function maxWeight(analysis: CanaryAnalysis): number {
  if (analysis.stepWeights?.length) return analysis.stepWeights[analysis.stepWeights.length - 1] ?? 100;
  return analysis.maxWeight ?? 100;
}

/** The canary weight after `current`, or undefined when the last step has been taken. */
export function nextWeight(analysis: CanaryAnalysis, current: number): number | undefined {
  if (analysis.stepWeights?.length) return analysis.stepWeights.find((w) => w > current);
  if (analysis.stepWeight !== undefined) {
    const max = maxWeight(analysis);
    if (current >= max) return undefined;
    return Math.min(current + analysis.stepWeight, max);
  }
  return undefined;
}

/**
 * While promoting, traffic moves back to the (now updated) primary: at once, or by
 * stepWeightPromotion per interval. Returns the canary weight after `current`.
 */
export function nextPromotionWeight(analysis: CanaryAnalysis, current: number): number {
  const step = analysis.stepWeightPromotion;
  if (step === undefined) return 0;
  return Math.max(0, current - step);
}

/** Replicas needed for `percent` of `desired` to count as ready (at least one when any are wanted). */
export function readyThreshold(desired: number, percent: number | undefined): number {
  if (desired <= 0) return 0;
  return Math.max(1, Math.ceil((desired * (percent ?? 100)) / 100));
}
