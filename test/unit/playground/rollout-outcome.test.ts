import type { CanaryStatus } from '../../../crds/index.js';
import { initialized, rolloutOutcome, type RolloutOutcome } from '../../../playground/rollout-outcome.js';
import { canary } from '../cli/fixtures.js';

describe('initialized', () => {
  it.each<[string, CanaryStatus | undefined, boolean]>([
    ['no status yet', undefined, false],
    ['still initializing', { phase: 'Initializing' }, false],
    ['initialized', { phase: 'Initialized', lastAppliedSpec: 'r1' }, true],
    ['a Canary that already promoted a revision', { phase: 'Succeeded', lastAppliedSpec: 'r2' }, true],
    ['initialized without a revision recorded', { phase: 'Initialized' }, false],
    ['failed', { phase: 'Failed', lastAppliedSpec: 'r2' }, false],
  ])('%s: %s', (_name, status, expected) => {
    expect(initialized(status === undefined ? undefined : canary(status))).toBe(expected);
  });
});

describe('rolloutOutcome', () => {
  it.each<[string, CanaryStatus, RolloutOutcome]>([
    ['the previous rollout still on show', { phase: 'Succeeded', lastAppliedSpec: 'r1' }, 'pending'],
    ['a failed previous rollout is not this one', { phase: 'Failed', lastAppliedSpec: 'r1' }, 'pending'],
    ['progressing', { phase: 'Progressing', lastAppliedSpec: 'r2' }, 'pending'],
    ['promoting is not promoted yet', { phase: 'Promoting', lastAppliedSpec: 'r2' }, 'pending'],
    ['finalising is not promoted yet', { phase: 'Finalising', lastAppliedSpec: 'r2' }, 'pending'],
    ['succeeded', { phase: 'Succeeded', lastAppliedSpec: 'r2' }, 'promoted'],
    ['failed', { phase: 'Failed', lastAppliedSpec: 'r2' }, 'rolled back'],
    ['no revision recorded', { phase: 'Succeeded' }, 'pending'],
  ])('%s', (_name, status, expected) => {
    expect(rolloutOutcome(canary(status), 'r1')).toBe(expected);
  });

  it('is pending without a Canary', () => {
    expect(rolloutOutcome(undefined, undefined)).toBe('pending');
  });
});
