import { isWaitTarget, waitVerdict } from '../../../cli/wait-decision.js';
import type { CanaryPhase } from '../../../crds/index.js';
import { ago, canary, NOW } from './fixtures.js';

const inPhase = (phase: CanaryPhase, enteredMsAgo = 0) => canary({ phase, lastTransitionTime: ago(enteredMsAgo), message: `now ${phase}` });

describe('waitVerdict', () => {
  it.each([
    ['succeeded', 'Succeeded', 'reached'],
    ['succeeded', 'Failed', 'opposite'],
    ['succeeded', 'Terminating', 'opposite'],
    ['failed', 'Failed', 'reached'],
    ['failed', 'Succeeded', 'opposite'],
    ['promoted', 'Promoting', 'reached'],
    ['promoted', 'Finalising', 'reached'],
    ['promoted', 'Succeeded', 'reached'],
    ['promoted', 'Failed', 'opposite'],
  ] as const)('waiting for %s, phase %s is %s', (target, phase, outcome) => {
    expect(waitVerdict(target, inPhase(phase))).toEqual({ done: true, outcome, phase, message: `now ${phase}` });
  });

  it.each(['Initializing', 'Initialized', 'Waiting', 'Progressing', 'WaitingPromotion'] as const)('keeps waiting in %s', (phase) => {
    expect(waitVerdict('succeeded', inPhase(phase))).toEqual({ done: false });
    expect(waitVerdict('failed', inPhase(phase))).toEqual({ done: false });
  });

  it('keeps waiting while the operator has not written a phase', () => {
    expect(waitVerdict('succeeded', canary({}))).toEqual({ done: false });
  });

  it('ends when the canary is deleted', () => {
    expect(waitVerdict('succeeded', undefined)).toEqual({ done: true, outcome: 'deleted' });
  });

  describe('with --since', () => {
    it('ignores the Succeeded of the previous rollout', () => {
      expect(waitVerdict('succeeded', inPhase('Succeeded', 3_600_000), { since: NOW - 60_000 })).toEqual({ done: false });
    });

    it('accepts a phase entered after it, or in the same second', () => {
      expect(waitVerdict('succeeded', inPhase('Succeeded', 30_000), { since: NOW - 60_000 })).toMatchObject({ done: true, outcome: 'reached' });
      const sameSecond = canary({ phase: 'Failed', lastTransitionTime: '2026-11-21T10:00:00Z' });
      expect(waitVerdict('succeeded', sameSecond, { since: NOW + 700 })).toMatchObject({ done: true, outcome: 'opposite' });
    });

    it('ignores a phase without a transition time', () => {
      expect(waitVerdict('succeeded', canary({ phase: 'Succeeded' }), { since: NOW })).toEqual({ done: false });
    });
  });

  it('knows its targets', () => {
    expect(isWaitTarget('promoted')).toBe(true);
    expect(isWaitTarget('ready')).toBe(false);
  });
});
