import type { EventView } from '../../../cli/event-view.js';
import { changeLines, initialWatchState, summaryOf } from '../../../cli/status-changes.js';
import { ago, canary, NOW } from './fixtures.js';

const event = (uid: string, version: string, message: string, count = 1): EventView => ({
  uid,
  type: 'Normal',
  reason: 'Advanced',
  message,
  count,
  lastSeen: ago(0),
  version,
});

describe('status --watch without a terminal', () => {
  const at10 = canary({ phase: 'Progressing', canaryWeight: 10, failedChecks: 0 });
  const state = initialWatchState(at10, [event('e1', '1', 'weight 10%')]);

  it('summarises a rollout on one line', () => {
    expect(summaryOf(at10)).toBe('podinfo Progressing, weight [██░░░░░░░░░░░░░░░░░░] 10%, failed checks 0/5');
    expect(summaryOf(canary({ phase: 'Progressing', paused: true, message: 'held\nby pause' }))).toBe(
      'podinfo Progressing, weight [░░░░░░░░░░░░░░░░░░░░] 0%, failed checks 0/5, paused: held by pause',
    );
  });

  it('prints nothing when nothing changed', () => {
    expect(changeLines(state, at10, [event('e1', '1', 'weight 10%')], NOW).lines).toEqual([]);
  });

  it('prints the new summary, stamped, when the weight moves', () => {
    const at20 = canary({ phase: 'Progressing', canaryWeight: 20, failedChecks: 0 });
    const { lines, state: next } = changeLines(state, at20, [], NOW);
    expect(lines).toEqual(['2026-11-21T10:00:00Z podinfo Progressing, weight [████░░░░░░░░░░░░░░░░] 20%, failed checks 0/5']);
    expect(changeLines(next, at20, [], NOW + 1000).lines).toEqual([]);
  });

  it('prints new Events and Events whose count grew, not the ones seen', () => {
    const { lines } = changeLines(state, at10, [event('e1', '1', 'weight 10%'), event('e2', '7', 'weight 20%')], NOW);
    expect(lines).toEqual(['2026-11-21T10:00:00Z event Normal Advanced: weight 20%']);
    const bumped = changeLines(state, at10, [event('e1', '2', 'weight 10%', 2)], NOW).lines;
    expect(bumped).toEqual(['2026-11-21T10:00:00Z event Normal Advanced: weight 10% (x2)']);
  });

  it('prints a new analysis, an action request and its answer', () => {
    const analysed = canary(
      {
        phase: 'Progressing',
        canaryWeight: 10,
        failedChecks: 0,
        analysisResults: [{ metric: 'request-success-rate', value: 99.5, thresholdRange: { min: 99 }, verdict: 'Passed', time: ago(0) }],
      },
      { annotations: { 'sluice.dev/action': 'promote:abc' } },
    );
    const { lines, state: next } = changeLines(state, analysed, [], NOW);
    expect(lines).toEqual([
      '2026-11-21T10:00:00Z action requested: promote (nonce abc)',
      '2026-11-21T10:00:00Z analysis: request-success-rate=99.5 [>= 99] Passed',
    ]);
    const answered = canary(
      { ...analysed.status, manualAction: { action: 'promote', nonce: 'abc', state: 'Applied', message: 'promoting', time: ago(0) } },
      { annotations: { 'sluice.dev/action': 'promote:abc' } },
    );
    expect(changeLines(next, answered, [], NOW).lines).toEqual(['2026-11-21T10:00:00Z action promote (nonce abc) Applied: promoting']);
  });
});
