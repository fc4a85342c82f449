import type { EventView } from '../../../cli/event-view.js';
import { formatNumber, formatThreshold, renderStatus, strategySummary } from '../../../cli/status-view.js';
import { ansiStyle } from '../../../cli/style.js';
import { ago, canary, NOW } from './fixtures.js';

const event = (uid: string, reason: string, message: string, secondsAgo: number, extra: Partial<EventView> = {}): EventView => ({
  uid,
  type: 'Normal',
  reason,
  message,
  count: 1,
  lastSeen: ago(secondsAgo * 1000),
  version: '1',
  ...extra,
});

const progressing = canary(
  {
    phase: 'Progressing',
    canaryWeight: 40,
    failedChecks: 1,
    iterations: 0,
    lastTransitionTime: ago(125_000),
    message: 'advanced to 40%',
    analysisResults: [
      { metric: 'request-success-rate', value: 99.51234, thresholdRange: { min: 99 }, verdict: 'Passed', time: ago(30_000) },
      { metric: 'request-duration', value: 612, thresholdRange: { max: 500 }, verdict: 'Failed', message: 'p99 above the maximum', time: ago(30_000) },
    ],
    conditions: [{ type: 'Ready', status: 'False', reason: 'Progressing', message: 'rollout in progress', lastTransitionTime: ago(125_000) }],
    manualAction: { action: 'pause', nonce: 'n1', state: 'Applied', message: 'rollout paused', time: ago(600_000) },
    paused: true,
  },
  { annotations: { 'sluice.dev/action': 'promote:n2' } },
);

describe('renderStatus', () => {
  const text = renderStatus({
    canary: progressing,
    events: [event('e2', 'Advanced', 'weight 40%', 10), event('e1', 'Synced', 'canary initialized', 3000, { count: 3 })],
    now: NOW,
  });
  const lines = text.split('\n');

  it('shows phase with its age, message and target', () => {
    expect(lines).toContain('Canary:        podinfo in namespace test');
    expect(lines).toContain('Target:        Deployment/podinfo');
    expect(lines).toContain(`Phase:         Progressing (for 2m5s, since ${ago(125_000)})`);
    expect(lines).toContain('Message:       advanced to 40%');
  });

  it('shows the weight as a progress bar with the strategy', () => {
    expect(lines).toContain('Weight:        [████████░░░░░░░░░░░░] 40%   (step 10%, max 50%)');
  });

  it('shows failed checks against the threshold, and that the rollout is paused', () => {
    expect(lines).toContain('Failed checks: 1/5 (rolls back at 5)');
    expect(lines).toContain('Paused:        yes, until a resume action');
  });

  it('shows the unanswered request and the last answer', () => {
    expect(lines).toContain('Requested:     promote (nonce n2), not yet answered by the operator');
    expect(lines).toContain('Last action:   pause (nonce n1) Applied 10m ago: rollout paused');
  });

  it('shows the last analysis as a table', () => {
    const start = lines.indexOf('Last analysis (30s ago):');
    expect(start).toBeGreaterThan(0);
    expect(lines[start + 1]?.trim().split(/ {3,}/)).toEqual(['METRIC', 'VALUE', 'THRESHOLD', 'VERDICT', 'MESSAGE']);
    expect(lines[start + 2]?.trim().split(/ {3,}/)).toEqual(['request-success-rate', '99.512', '>= 99', 'Passed']);
    expect(lines[start + 3]?.trim().split(/ {3,}/)).toEqual(['request-duration', '612', '<= 500', 'Failed', 'p99 above the maximum']);
  });

  it('shows conditions', () => {
    const start = lines.indexOf('Conditions:');
    expect(lines[start + 2]?.trim().split(/ {3,}/)).toEqual(['Ready', 'False', 'Progressing', '2m5s', 'rollout in progress']);
  });

  it('shows Events oldest first, with repeat counts', () => {
    const start = lines.indexOf('Events:');
    expect(lines[start + 1]?.trim().split(/ {3,}/)).toEqual(['AGE', 'TYPE', 'REASON', 'MESSAGE']);
    expect(lines[start + 2]?.trim().split(/ {3,}/)).toEqual(['50m', 'Normal', 'Synced', 'canary initialized (x3)']);
    expect(lines[start + 3]?.trim().split(/ {3,}/)).toEqual(['10s', 'Normal', 'Advanced', 'weight 40%']);
  });

  it('keeps only the newest Events', () => {
    const many = Array.from({ length: 15 }, (_, i) => event(`e${i}`, `R${i}`, `m${i}`, 100 - i));
    const shown = renderStatus({ canary: progressing, events: many, now: NOW, eventLimit: 3 }).split('\n');
    const start = shown.indexOf('Events:');
    expect(shown.slice(start + 2).map((l) => l.trim().split(/ {3,}/)[2])).toEqual(['R12', 'R13', 'R14']);
  });

  it('says when there are no Events and no status yet', () => {
    const bare = renderStatus({ canary: canary(undefined), events: [], now: NOW });
    expect(bare).toContain('Phase:         Unknown');
    expect(bare).toContain('Weight:        [░░░░░░░░░░░░░░░░░░░░] 0%');
    expect(bare).toContain('Events: none');
    expect(bare).not.toContain('Last analysis');
  });

  it('adds a primary column for the compare judge', () => {
    const compared = canary({
      phase: 'Progressing',
      analysisResults: [{ metric: 'error-rate', value: 0.5, primaryValue: 0.25, verdict: 'Inconclusive', time: ago(5000) }],
    });
    const out = renderStatus({ canary: compared, events: [], now: NOW }).split('\n');
    const start = out.findIndex((l) => l.startsWith('Last analysis'));
    expect(out[start + 1]?.trim().split(/ {3,}/)).toEqual(['METRIC', 'VALUE', 'PRIMARY', 'THRESHOLD', 'VERDICT', 'MESSAGE']);
    expect(out[start + 2]?.trim().split(/ {3,}/)).toEqual(['error-rate', '0.5', '0.25', '-', 'Inconclusive']);
  });

  it('shows iterations for A/B testing', () => {
    const ab = canary({ phase: 'Progressing', iterations: 3 }, { analysis: { stepWeight: undefined, maxWeight: undefined, iterations: 10, match: [{ headers: { x: { exact: '1' } } }] } });
    const out = renderStatus({ canary: ab, events: [], now: NOW });
    expect(out).toContain('Iterations:    3/10');
    expect(out).toContain('(A/B testing: matching requests go to the canary)');
  });

  it('notes an invalid action annotation', () => {
    const bad = canary({ phase: 'Progressing' }, { annotations: { 'sluice.dev/action': 'rollback' } });
    expect(renderStatus({ canary: bad, events: [], now: NOW })).toContain('invalid sluice.dev/action annotation "rollback"');
  });

  it('notes a status the operator computed for an older spec', () => {
    const stale = canary({ phase: 'Progressing', observedGeneration: 1 });
    stale.metadata.generation = 2;
    expect(renderStatus({ canary: stale, events: [], now: NOW })).toContain('has not seen the latest spec yet');
  });

  it('colours verdicts and phases only with the terminal style', () => {
    const coloured = renderStatus({ canary: progressing, events: [], now: NOW, style: ansiStyle });
    expect(coloured).toContain(ansiStyle.bad('Failed'));
    expect(coloured).toContain(ansiStyle.good('Passed'));
    expect(text).not.toContain('\u001b[');
  });
});

describe('status formatting helpers', () => {
  it.each([
    [undefined, '-'],
    [612, '612'],
    [99.51234, '99.512'],
    [0.001234567, '0.001235'],
    [12345.678, '12345.68'],
  ])('formatNumber(%p) is %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });

  it('formats threshold ranges', () => {
    expect(formatThreshold({ min: 99 })).toBe('>= 99');
    expect(formatThreshold({ max: 500 })).toBe('<= 500');
    expect(formatThreshold({ min: 1, max: 2.5 })).toBe('1..2.5');
    expect(formatThreshold(undefined)).toBe('-');
  });

  it('summarises each strategy', () => {
    const base = canary().spec.analysis;
    expect(strategySummary(base)).toBe('step 10%, max 50%');
    expect(strategySummary({ ...base, stepWeight: undefined, stepWeights: [5, 10, 50] })).toBe('steps 5, 10, 50%');
    expect(strategySummary({ ...base, stepWeight: undefined, iterations: 5, mirror: true })).toBe('blue/green with mirroring');
    expect(strategySummary({ ...base, stepWeight: undefined, iterations: 5 })).toBe('blue/green');
  });
});
