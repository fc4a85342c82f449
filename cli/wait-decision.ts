// `kubectl sluice wait`: when to stop waiting, and with which outcome. Pure over the Canary
// as last seen, so that the watch loop only feeds it updates.
import type { Canary, CanaryPhase } from '../crds/index.js';

export const WAIT_TARGETS = ['succeeded', 'failed', 'promoted'] as const;
export type WaitTarget = (typeof WAIT_TARGETS)[number];

/** Phases that mean the condition waited for holds. */
const REACHED: Readonly<Record<WaitTarget, readonly CanaryPhase[]>> = {
  succeeded: ['Succeeded'],
  failed: ['Failed'],
  // The analysis passed (or someone promoted by hand): promotion under way or done.
  promoted: ['Promoting', 'Finalising', 'Succeeded'],
};

/** Phases after which the condition can no longer hold for this rollout. */
const OPPOSITE: Readonly<Record<WaitTarget, readonly CanaryPhase[]>> = {
  succeeded: ['Failed', 'Terminating', 'Terminated'],
  failed: ['Succeeded', 'Terminating', 'Terminated'],
  promoted: ['Failed', 'Terminating', 'Terminated'],
};

export interface WaitOptions {
  /**
   * Ignore a phase entered before this time (epoch ms): a Canary still showing the
   * Succeeded of the previous rollout must not end a wait for the rollout just triggered.
   */
  since?: number;
}

export type WaitVerdict =
  | { done: false }
  | { done: true; outcome: 'reached' | 'opposite'; phase: CanaryPhase; message: string }
  | { done: true; outcome: 'deleted' };

export function waitVerdict(target: WaitTarget, canary: Canary | undefined, options: WaitOptions = {}): WaitVerdict {
  if (canary === undefined) return { done: true, outcome: 'deleted' };
  const phase = canary.status?.phase;
  if (phase === undefined) return { done: false };
  if (options.since !== undefined) {
    const enteredAt = Date.parse(canary.status?.lastTransitionTime ?? '');
    // Status times have whole seconds: a phase entered in the same second as `since` counts.
    if (Number.isNaN(enteredAt) || enteredAt < Math.floor(options.since / 1000) * 1000) return { done: false };
  }
  const message = canary.status?.message ?? '';
  if (REACHED[target].includes(phase)) return { done: true, outcome: 'reached', phase, message };
  if (OPPOSITE[target].includes(phase)) return { done: true, outcome: 'opposite', phase, message };
  return { done: false };
}

export function isWaitTarget(value: string): value is WaitTarget {
  return (WAIT_TARGETS as readonly string[]).includes(value);
}
