import type { EventView } from '../../../cli/event-view.js';
import { ansiStyle, plainStyle, visibleLength } from '../../../cli/style.js';
import type { AnalysisResult } from '../../../crds/index.js';
import {
  analysisSummary,
  clientSummary,
  CLIENT_LINE_EVERY_MS,
  fitScreen,
  fitWidth,
  type LiveInput,
  ownerOf,
  plainUpdate,
  podCounts,
  renderLive,
} from '../../../playground/live-view.js';
import { NO_REQUESTS } from '../../../playground/load-counters.js';
import type { ReceivedNotification } from '../../../playground/notification-receiver.js';
import { ago, canary, NOW } from '../cli/fixtures.js';

const results: AnalysisResult[] = [
  { metric: 'request-success-rate', value: 65.79, thresholdRange: { min: 99 }, verdict: 'Failed', message: 'below the minimum', time: ago(2000) },
  { metric: 'request-duration', value: 21.2, thresholdRange: { max: 500 }, verdict: 'Passed', message: 'at or below the maximum', time: ago(2000) },
];

const progressing = canary(
  { phase: 'Progressing', canaryWeight: 40, failedChecks: 1, message: 'analysing canary weight 40%', lastTransitionTime: ago(4000), analysisResults: results, rollout: { lastAnalysisAt: ago(2000) } },
  { name: 'demo', namespace: 'default', analysis: { interval: '5s', threshold: 2, stepWeight: 20, maxWeight: 60 } },
);

const event = (uid: string, version: string, reason: string, message: string, type = 'Normal'): EventView => ({ uid, type, reason, message, count: 1, lastSeen: ago(3000), version });

const notification: ReceivedNotification = { id: 'n1', name: 'demo', namespace: 'default', event: 'Progressing', severity: 'info', message: 'New revision r1-abc detected', receivedAt: NOW - 10_000 };

const input = (overrides: Partial<LiveInput> = {}): LiveInput => ({
  now: NOW,
  startedAt: NOW - 45_000,
  steps: [
    { label: 'Local control plane', state: 'done', detail: 'ready at 9.8 s' },
    { label: 'Rollout 1: v2, healthy', state: 'running' },
    { label: 'Rollout 2: v3, faulty', state: 'pending' },
  ],
  canary: progressing,
  events: [event('e1', '1', 'WeightIncreased', 'Advanced to canary weight 40%')],
  notifications: [notification],
  load: { sent: 1234, ok: { v1: 1000, v2: 200 }, appErrors: { v2: 14 }, unanswered: { 'no endpoint': 20 } },
  loadRate: 39.6,
  pods: [
    { owner: 'demo', ready: 2, total: 2 },
    { owner: 'demo-primary', ready: 2, total: 2 },
    { owner: 'sluice-waypoint', ready: 1, total: 2 },
  ],
  style: plainStyle,
  ...overrides,
});

describe('renderLive', () => {
  it('shows the steps, the weight as a progress bar, the analysis, clients, pods, Events and notifications', () => {
    expect(renderLive(input())).toEqual([
      'Sluice playground  0:45 · Ctrl-C stops everything',
      '',
      '✔ Local control plane  — ready at 9.8 s',
      '▶ Rollout 1: v2, healthy',
      '· Rollout 2: v3, faulty',
      '',
      'Canary:    default/demo Progressing for 4s: analysing canary weight 40%',
      'Weight:    [████████░░░░░░░░░░░░] 40%   step 20%, max 60%',
      'Checks:    1/2 failed (rolls back at 2)',
      'Analysis:  request-success-rate 65.79% (>= 99) Failed (below the minimum); request-duration 21.2 ms (<= 500) Passed, 2s ago',
      'Clients:   1,234 requests · v1 1,000 ok · v2 200 ok, 14 failed · 20 unanswered (no endpoint 20) · 40/s',
      'Pods:      demo 2/2 · demo-primary 2/2 · sluice-waypoint 1/2',
      '',
      'Events of the Canary',
      '  3s  Normal  WeightIncreased  Advanced to canary weight 40%',
      '',
      'Notifications received from the AlertProvider',
      '  10s  info  Progressing  New revision r1-abc detected',
    ]);
  });

  it('says what is not there yet', () => {
    const lines = renderLive(input({ canary: undefined, events: [], notifications: [], load: NO_REQUESTS, loadRate: 0, pods: [] }));
    expect(lines).toContain('Canary:    not created yet');
    expect(lines).toContain('Clients:   0 requests · none unanswered');
    expect(lines).toContain('Pods:      none yet');
    expect(lines).toContain('Events of the Canary none yet');
    expect(lines).toContain('Notifications received from the AlertProvider none yet');
  });

  it('keeps only the newest Events and notifications', () => {
    const events = Array.from({ length: 9 }, (_, i) => ({ ...event(`e${i}`, '1', 'R', `event ${i}`), lastSeen: ago(10_000 - i * 1000) }));
    const notifications = Array.from({ length: 9 }, (_, i) => ({ ...notification, id: `n${i}`, message: `note ${i}` }));
    const text = renderLive(input({ events, notifications })).join('\n');
    expect(text).not.toMatch(/event 2\b/);
    expect(text).toMatch(/event 3[\s\S]*event 8/);
    expect(text).not.toMatch(/note 2\b/);
    expect(text).toMatch(/note 3[\s\S]*note 8/);
  });
});

describe('analysisSummary', () => {
  it("gives the builtin metrics their units and says why only for checks that did not pass", () => {
    expect(analysisSummary(progressing, plainStyle)).toBe('request-success-rate 65.79% (>= 99) Failed (below the minimum); request-duration 21.2 ms (<= 500) Passed');
    expect(analysisSummary(canary({}), plainStyle)).toBe('');
  });
});

describe('clientSummary', () => {
  it.each<[string, LiveInput['load'], string]>([
    ['nothing sent', NO_REQUESTS, '0 requests · none unanswered'],
    ['versions in order, errors with their version', { sent: 30, ok: { v3: 5, v1: 20 }, appErrors: { v3: 5 }, unanswered: {} }, '30 requests · v1 20 ok · v3 5 ok, 5 failed · none unanswered'],
    ['unanswered by reason, most first', { sent: 9, ok: {}, appErrors: {}, unanswered: { ECONNREFUSED: 2, 'no endpoint': 7 } }, '9 requests · 9 unanswered (no endpoint 7, ECONNREFUSED 2)'],
  ])('%s', (_name, load, expected) => {
    expect(clientSummary(load, plainStyle)).toBe(expected);
  });
});

describe('ownerOf', () => {
  it.each([
    ['demo-primary-7d9f8c6b5-x2x7z', 'demo-primary'],
    ['sluice-waypoint-7968c4d65b-pbkx5', 'sluice-waypoint'],
    ['demo-7bcb479cff-8lm9h', 'demo'],
    ['standalone', 'standalone'],
  ])('%s belongs to %s', (pod, owner) => {
    expect(ownerOf(pod)).toBe(owner);
  });
});

describe('podCounts', () => {
  it('counts processes by Deployment, ready ones apart, leaving out stopped ones', () => {
    expect(
      podCounts([
        { name: 'sluice-waypoint-7968c4d65b-pbkx5', state: 'ready' },
        { name: 'demo-primary-79fbbdf988-h22jj', state: 'ready' },
        { name: 'demo-primary-79fbbdf988-k5rn2', state: 'starting' },
        { name: 'demo-7bcb479cff-8lm9h', state: 'terminating' },
        { name: 'demo-7bcb479cff-4mhb2', state: 'stopped' },
      ]),
    ).toEqual([
      { owner: 'demo', ready: 0, total: 1 },
      { owner: 'demo-primary', ready: 1, total: 2 },
      { owner: 'sluice-waypoint', ready: 1, total: 1 },
    ]);
  });
});

describe('fitWidth and fitScreen', () => {
  it('leaves short lines alone and cuts long ones to the width with a mark', () => {
    expect(fitWidth('short', 10)).toBe('short');
    expect(fitWidth('0123456789abc', 10)).toBe('012345678…');
    expect(visibleLength(fitWidth('█'.repeat(30), 10))).toBe(10);
  });

  it('counts only what shows: colours survive the cut and are reset after it', () => {
    const line = `${ansiStyle.good('Passed')} ${'x'.repeat(20)}`;
    const cut = fitWidth(line, 10);
    expect(visibleLength(cut)).toBe(10);
    expect(cut.startsWith('\u001b[32mPassed\u001b[39m')).toBe(true);
    expect(cut.endsWith('…\u001b[0m')).toBe(true);
  });

  it('never gives the terminal more rows than it has', () => {
    expect(fitScreen(['a', 'b', 'c', 'd'], 80, 3)).toEqual(['a', 'b', '…']);
    expect(fitScreen(['a', 'b'], 80, 3)).toEqual(['a', 'b']);
  });
});

describe('plainUpdate (no terminal)', () => {
  const first = plainUpdate(undefined, input());

  it('prints, stamped with the time since start, the steps begun or ended, the Canary, its analysis, Events, notifications and clients', () => {
    expect(first.lines).toEqual([
      '[  45.0s] ✔ Local control plane  — ready at 9.8 s',
      '[  45.0s] ▶ Rollout 1: v2, healthy',
      '[  45.0s] canary demo Progressing, weight [████████░░░░░░░░░░░░] 40%, failed checks 1/2: analysing canary weight 40%',
      '[  45.0s] analysis: request-success-rate 65.79% (>= 99) Failed (below the minimum); request-duration 21.2 ms (<= 500) Passed',
      '[  45.0s] event Normal WeightIncreased: Advanced to canary weight 40%',
      '[  45.0s] notification info Progressing: New revision r1-abc detected',
      '[  45.0s] clients: 1,234 requests · v1 1,000 ok · v2 200 ok, 14 failed · 20 unanswered (no endpoint 20)',
    ]);
  });

  it('prints nothing when nothing changed', () => {
    expect(plainUpdate(first.state, input({ now: NOW + 500 })).lines).toEqual([]);
  });

  it('prints the counters with a change of the Canary, and otherwise only now and then', () => {
    const busier = { ...input().load, sent: 1300, ok: { v1: 1000, v2: 266 } };
    expect(plainUpdate(first.state, input({ now: NOW + 1000, load: busier })).lines).toEqual([]);
    expect(plainUpdate(first.state, input({ now: NOW + CLIENT_LINE_EVERY_MS, load: busier })).lines).toEqual([
      '[  55.0s] clients: 1,300 requests · v1 1,000 ok · v2 266 ok, 14 failed · 20 unanswered (no endpoint 20)',
    ]);
    const at60 = canary({ ...progressing.status, canaryWeight: 60 }, { name: 'demo', namespace: 'default', analysis: progressing.spec.analysis });
    expect(plainUpdate(first.state, input({ now: NOW + 1000, load: busier, canary: at60 })).lines).toEqual([
      '[  46.0s] canary demo Progressing, weight [████████████░░░░░░░░] 60%, failed checks 1/2: analysing canary weight 40%',
      '[  46.0s] clients: 1,300 requests · v1 1,000 ok · v2 266 ok, 14 failed · 20 unanswered (no endpoint 20)',
    ]);
  });

  it('prints a step again when it ends, and a new Event or notification once', () => {
    const steps = [input().steps[0]!, { label: 'Rollout 1: v2, healthy', state: 'done' as const, detail: 'promoted after 16.8 s' }, input().steps[2]!];
    const events = [...input().events, event('e2', '5', 'AnalysisFailed', 'Analysis failed (1/2)', 'Warning')];
    const notifications: ReceivedNotification[] = [notification, { ...notification, id: 'n2', event: 'RolledBack', severity: 'error', message: 'Rolled back', metric: 'request-success-rate', value: 68, threshold: { min: 99 } }];
    const next = plainUpdate(first.state, input({ now: NOW + 1000, steps, events, notifications }));
    expect(next.lines).toEqual([
      '[  46.0s] ✔ Rollout 1: v2, healthy  — promoted after 16.8 s',
      '[  46.0s] event Warning AnalysisFailed: Analysis failed (1/2)',
      '[  46.0s] notification error RolledBack: Rolled back [request-success-rate 68%, >= 99]',
    ]);
    expect(plainUpdate(next.state, input({ now: NOW + 2000, steps, events, notifications })).lines).toEqual([]);
  });
});
