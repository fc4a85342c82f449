// When the playground's steps are over, read from the Canary's status. Pure.
import type { Canary } from '../crds/index.js';

export type RolloutOutcome = 'pending' | 'promoted' | 'rolled back';

/** The Canary has set up its primary and taken the Service over: ready for a rollout. */
export function initialized(canary: Canary | undefined): boolean {
  const status = canary?.status;
  return (status?.phase === 'Initialized' || status?.phase === 'Succeeded') && status.lastAppliedSpec !== undefined;
}

/**
 * How the rollout of a revision other than `revisionBefore` (the status' lastAppliedSpec
 * before the Deployment changed) ended. A Canary still showing the previous rollout's
 * Succeeded or Failed is pending: that phase is about the revision before.
 */
export function rolloutOutcome(canary: Canary | undefined, revisionBefore: string | undefined): RolloutOutcome {
  const status = canary?.status;
  if (status === undefined || status.lastAppliedSpec === undefined || status.lastAppliedSpec === revisionBefore) return 'pending';
  if (status.phase === 'Succeeded') return 'promoted';
  if (status.phase === 'Failed') return 'rolled back';
  return 'pending';
}
