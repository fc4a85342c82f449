import type { CanarySpec, CanaryStatus } from '../../../../crds/canary.js';
import {
  decide,
  inconclusiveLimit,
  routeKey,
  type AnalysisAnswer,
  type Answers,
  type CanaryAction,
  type CanaryObservations,
  type DeploymentObservation,
  type DesiredRoute,
  type MachineInput,
  type Need,
} from '../../../../operator/canary/state-machine.js';

const T0 = Date.parse('2026-11-21T10:00:00Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

function spec(analysis: Partial<CanarySpec['analysis']> = {}, extra: Partial<CanarySpec> = {}): CanarySpec {
  return {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898 },
    analysis: { interval: '10s', threshold: 2, stepWeight: 20, maxWeight: 60, ...analysis },
    progressDeadlineSeconds: 60,
    revertOnDeletion: true,
    ...extra,
  };
}

const deployment = (revision: string, replicas: number, ready = replicas, rolledOut = true): DeploymentObservation => ({
  revision,
  replicas,
  readyReplicas: ready,
  rolledOut,
});

interface World {
  spec: CanarySpec;
  status: CanaryStatus;
  observed: CanaryObservations;
  answers: Answers;
  /** Needs asked for in the last call, by type. */
  asked: Need[];
}

function world(s: CanarySpec, observed: Partial<CanaryObservations> = {}, status: CanaryStatus = {}): World {
  return {
    spec: s,
    status,
    observed: { deleting: false, window: { open: true }, ...observed },
    answers: {},
    asked: [],
  };
}

/** One reconcile: answers needs from `w.answers`, applies the new status, returns actions. */
function reconcile(w: World, now: Date): { actions: CanaryAction[]; requeueAfterMs?: number } {
  const input: MachineInput = { spec: w.spec, status: w.status, generation: 1, now, observed: { ...w.observed, answers: {} } };
  w.asked = [];
  for (let pass = 0; pass < 5; pass++) {
    const out = decide(input);
    if (out.kind === 'act') {
      w.status = out.status;
      return { actions: out.actions, ...(out.requeueAfterMs === undefined ? {} : { requeueAfterMs: out.requeueAfterMs }) };
    }
    w.asked.push(...out.needs);
    const answers: Answers = { ...input.observed.answers };
    for (const need of out.needs) {
      if (need.type === 'analysis') {
        if (!w.answers.analysis) throw new Error('analysis asked for but no answer given');
        answers.analysis = w.answers.analysis;
      } else if (need.type === 'pre-rollout') {
        answers.preRollout = w.answers.preRollout ?? { ok: true, message: '' };
      } else {
        answers.gates = { ...answers.gates, [need.webhook]: w.answers.gates?.[need.webhook] ?? { value: need.webhook !== 'rollback', message: '' } };
      }
    }
    input.observed = { ...input.observed, answers };
  }
  throw new Error('the machine kept asking');
}

const routes = (actions: CanaryAction[]): string[] => actions.flatMap((a) => (a.type === 'SetRoute' ? [routeKey(a.route)] : []));
const scaled = (actions: CanaryAction[]): number[] => actions.flatMap((a) => (a.type === 'ScaleTarget' ? [a.replicas] : []));
const events = (actions: CanaryAction[]): string[] => actions.flatMap((a) => (a.type === 'Event' ? [a.reason] : []));
const apply = (w: World, route: DesiredRoute, since: Date): void => {
  w.observed.appliedRoute = { route, since: since.toISOString() };
};
const pass: AnalysisAnswer = { verdict: 'pass', conclusive: false, results: [], summary: 'all checks passed' };
const fail: AnalysisAnswer = { verdict: 'fail', conclusive: false, results: [], summary: 'request-success-rate 80 < 99' };

/** A canary initialized on revision r1 with primary ready and the route on the primary. */
function initialized(s: CanarySpec = spec()): World {
  const w = world(s, { target: deployment('r1', 2), primary: deployment('r1', 2) });
  apply(w, { kind: 'primary' }, at(0));
  reconcile(w, at(0));
  expect(w.status.phase).toBe('Initialized');
  return w;
}

/** The same, with revision r2 of the target ready as the canary and the rollout started. */
function progressing(s: CanarySpec = spec()): World {
  const w = initialized(s);
  w.observed.target = deployment('r2', 2);
  reconcile(w, at(1));
  expect(w.status.phase).toBe('Progressing');
  return w;
}

describe('canary state machine', () => {
  describe('initialization', () => {
    it('creates the primary and routes to it, and scales the target to zero only once the primary serves', () => {
      const w = world(spec(), { target: deployment('r1', 3), primary: deployment('r1', 3, 1) });
      let out = reconcile(w, at(0));
      expect(w.status.phase).toBe('Initializing');
      expect(out.actions.map((a) => a.type)).toEqual(['EnsureServices', 'EnsurePrimary', 'SetRoute']);
      expect(out.actions[1]).toEqual({ type: 'EnsurePrimary', replicas: 3 });
      expect(scaled(out.actions)).toEqual([]);

      w.observed.primary = deployment('r1', 3);
      out = reconcile(w, at(2));
      expect(scaled(out.actions)).toEqual([]); // proxies have not applied the route yet
      expect(w.status.message).toMatch(/waypoint proxy/);

      apply(w, { kind: 'primary' }, at(3));
      out = reconcile(w, at(3));
      expect(scaled(out.actions)).toEqual([0]);
      expect(w.status).toMatchObject({ phase: 'Initialized', lastAppliedSpec: 'r1', lastPromotedSpec: 'r1', canaryWeight: 0 });
      expect(events(out.actions)).toEqual(['Initialized']);
    });

    // The primary is created from the target's template once; the target may change before
    // initialization ends. What the primary runs is the baseline the next rollout starts from.
    it.each([
      { case: 'template unchanged during initialization', primary: 'r1', target: 'r1', baseline: 'r1', rollsOut: false },
      { case: 'template changed while the primary was starting', primary: 'r1', target: 'r2', baseline: 'r1', rollsOut: true },
      { case: 'primary without a revision annotation', primary: '', target: 'r2', baseline: 'r2', rollsOut: false },
    ])('records the primary\'s revision as the baseline: $case', ({ primary, target, baseline, rollsOut }) => {
      const w = world(spec(), { target: deployment(target, 2), primary: deployment(primary, 2) });
      apply(w, { kind: 'primary' }, at(0));
      reconcile(w, at(0));
      expect(w.status).toMatchObject({ phase: 'Initialized', lastAppliedSpec: baseline, lastPromotedSpec: baseline });
      reconcile(w, at(1));
      expect(w.status.phase).toBe(rollsOut ? 'Progressing' : 'Initialized');
      if (rollsOut) expect(w.status.lastAppliedSpec).toBe(target);
    });

    it('reports a missing target without acting', () => {
      const w = world(spec(), {});
      const out = reconcile(w, at(0));
      expect(out.actions).toEqual([]);
      expect(w.status.message).toBe('target Deployment podinfo not found');
      expect(w.status.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');
    });
  });

  describe('weighted canary', () => {
    it('does nothing while the revision is unchanged', () => {
      const w = initialized();
      const out = reconcile(w, at(5));
      expect(w.status.phase).toBe('Initialized');
      expect(routes(out.actions)).toEqual(['primary']);
    });

    it('starts on a new revision, waits for the canary to be ready, then takes the first step', () => {
      const w = initialized();
      w.observed.target = deployment('r2', 2, 0, false);
      let out = reconcile(w, at(1));
      expect(w.status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'r2', failedChecks: 0 });
      expect(scaled(out.actions)).toEqual([2]);
      expect(routes(out.actions)).toEqual(['primary']);
      expect(events(out.actions)).toContain('Progressing');

      w.observed.target = deployment('r2', 2);
      out = reconcile(w, at(2));
      expect(routes(out.actions)).toEqual(['weighted:20']);
      expect(w.status.canaryWeight).toBe(20);
      expect(w.status.message).toMatch(/waiting for every waypoint proxy/);
    });

    it('starts the analysis window when every proxy has applied the step, not before', () => {
      const w = progressing();
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(7));
      w.answers.analysis = pass;
      reconcile(w, at(8));
      expect(w.status.rollout?.stepStartedAt).toBe(at(7).toISOString());
      reconcile(w, at(16)); // 9 s after the ack: not due yet
      expect(w.asked.filter((n) => n.type === 'analysis')).toEqual([]);
      reconcile(w, at(17));
      expect(w.asked).toContainEqual({ type: 'analysis', windowStart: at(7).toISOString(), early: false, mirrored: false });
      expect(w.status.canaryWeight).toBe(40);
    });

    it('steps up to maxWeight, then promotes, finalises and scales the target down', () => {
      const w = progressing();
      w.answers.analysis = pass;
      let t = 2;
      for (const weight of [20, 40, 60]) {
        reconcile(w, at(t));
        apply(w, { kind: 'weighted', canaryWeight: weight }, at(t));
        t += 11;
        const out = reconcile(w, at(t));
        if (weight < 60) expect(events(out.actions)).toContain('WeightIncreased');
      }
      expect(w.status.phase).toBe('Promoting');
      let out = reconcile(w, at(t + 1));
      expect(out.actions).toContainEqual({ type: 'PromotePrimary', replicas: 2 });
      expect(routes(out.actions)).toEqual(['weighted:60']); // the split holds while the primary is replaced

      w.observed.primary = deployment('r2', 2);
      out = reconcile(w, at(t + 2));
      expect(w.status.phase).toBe('Finalising');
      expect(routes(out.actions)).toEqual(['primary']);
      expect(scaled(out.actions)).not.toContain(0);

      apply(w, { kind: 'primary' }, at(t + 3));
      out = reconcile(w, at(t + 3));
      expect(w.status).toMatchObject({ phase: 'Succeeded', lastPromotedSpec: 'r2', canaryWeight: 0 });
      expect(scaled(out.actions)).toEqual([0]);
      expect(events(out.actions)).toContain('Promoted');
      expect(out.actions).toContainEqual({ type: 'CallHooks', webhook: 'post-rollout' });
      expect(w.status.conditions?.find((c) => c.type === 'Promoted')?.status).toBe('True');
    });

    it('counts failed checks and rolls back at the threshold, all traffic to the primary at once', () => {
      const w = progressing();
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      w.answers.analysis = fail;
      let out = reconcile(w, at(13));
      expect(w.status).toMatchObject({ phase: 'Progressing', failedChecks: 1, canaryWeight: 20 });
      expect(events(out.actions)).toEqual(['AnalysisFailed']);
      out = reconcile(w, at(24));
      expect(w.status).toMatchObject({ phase: 'Failed', failedChecks: 2, canaryWeight: 0 });
      expect(routes(out.actions)).toEqual(['primary']);
      // The canary keeps its pods until no proxy sends it traffic any more.
      expect(scaled(out.actions)).toEqual([]);
      expect(out.actions).toContainEqual(expect.objectContaining({ type: 'Event', reason: 'RolledBack', alert: 'error' }));
      apply(w, { kind: 'primary' }, at(25));
      out = reconcile(w, at(25));
      expect(scaled(out.actions)).toEqual([0]);
      // The failed revision is not retried by itself...
      out = reconcile(w, at(40));
      expect(w.status.phase).toBe('Failed');
      expect(routes(out.actions)).toEqual(['primary']);
      // ...but a newer one starts a new rollout.
      w.observed.target = deployment('r3', 2);
      reconcile(w, at(41));
      expect(w.status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'r3', failedChecks: 0 });
    });

    it('neither fails nor advances on an inconclusive analysis', () => {
      const w = progressing();
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      w.answers.analysis = { verdict: 'inconclusive', conclusive: false, results: [], summary: 'canary served 3 requests, fewer than minRequests 50' };
      reconcile(w, at(13));
      expect(w.status).toMatchObject({ phase: 'Progressing', failedChecks: 0, canaryWeight: 20 });
      expect(w.status.message).toMatch(/inconclusive.*fewer than minRequests/);
    });

    describe('analyses without a verdict', () => {
      const quiet: AnalysisAnswer = {
        verdict: 'inconclusive',
        conclusive: false,
        results: [],
        summary: 'request-success-rate: no data in the last 10s (backend podinfo-canary served no requests in the window), so it was not judged',
      };

      it.each([
        { progressDeadlineSeconds: 60, interval: '10s', limit: 6 },
        { progressDeadlineSeconds: 600, interval: '1m', limit: 10 },
        { progressDeadlineSeconds: 45, interval: '10s', limit: 5 },
        { progressDeadlineSeconds: 5, interval: '1m', limit: 1 },
      ])('allow ceil(progressDeadlineSeconds / interval) in a row: $progressDeadlineSeconds s / $interval → $limit', ({ progressDeadlineSeconds, interval, limit }) => {
        expect(inconclusiveLimit(spec({ interval }, { progressDeadlineSeconds }))).toBe(limit);
      });

      /** Runs analyses at 20% with the given verdicts, one per interval; returns each reconcile's events. */
      function run(verdicts: AnalysisAnswer[]): { w: World; events: string[][] } {
        const w = progressing();
        reconcile(w, at(2));
        apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
        const seen: string[][] = [];
        verdicts.forEach((verdict, i) => {
          const weight = w.status.canaryWeight ?? 0;
          w.answers.analysis = verdict;
          seen.push(events(reconcile(w, at(13 + 11 * i)).actions));
          // The proxies apply a new step at once.
          if (w.status.canaryWeight !== weight) apply(w, { kind: 'weighted', canaryWeight: w.status.canaryWeight ?? 0 }, at(13 + 11 * i));
        });
        return { w, events: seen };
      }

      it('hold the weight, say so and warn once, then roll back at the limit naming the metric', () => {
        const { w, events: seen } = run(Array.from({ length: 5 }, () => quiet));
        expect(w.status).toMatchObject({ phase: 'Progressing', canaryWeight: 20, failedChecks: 0 });
        expect(w.status.rollout?.inconclusiveChecks).toBe(5);
        expect(w.status.message).toBe(`analysis inconclusive (5/6) at canary weight 20%: ${quiet.summary}`);
        expect(seen).toEqual([['AnalysisInconclusive'], [], [], [], []]);
        w.answers.analysis = quiet;
        const out = reconcile(w, at(13 + 11 * 5));
        expect(w.status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
        expect(w.status.message).toBe(`rolled back: no verdict in 6 analyses in a row (progressDeadlineSeconds 60s): ${quiet.summary}`);
        expect(routes(out.actions)).toEqual(['primary']);
        expect(out.actions).toContainEqual(expect.objectContaining({ type: 'Event', reason: 'RolledBack', message: expect.stringContaining('request-success-rate: no data') }));
      });

      it.each([
        { between: 'a passing analysis', verdict: pass, weight: 40 },
        { between: 'a failed analysis', verdict: fail, weight: 20 },
      ])('start counting again after $between', ({ verdict, weight }) => {
        const { w, events: seen } = run([quiet, quiet, quiet, quiet, verdict, quiet, quiet, quiet, quiet, quiet]);
        expect(w.status.phase).toBe('Progressing');
        expect(w.status.canaryWeight).toBe(weight);
        expect(w.status.rollout?.inconclusiveChecks).toBe(5);
        // A new run of inconclusive analyses warns again.
        expect(seen.filter((e) => e.includes('AnalysisInconclusive'))).toHaveLength(2);
      });

      it('count the iterations of blue/green and A/B alike', () => {
        const w = progressing(spec({ stepWeight: undefined, maxWeight: undefined, iterations: 3, mirror: true }));
        w.answers.analysis = quiet;
        reconcile(w, at(2));
        apply(w, { kind: 'mirror', mirrorPercent: 100 }, at(2));
        for (let i = 0; i < 6; i++) reconcile(w, at(13 + 11 * i));
        expect(w.status.phase).toBe('Failed');
        expect(w.status.iterations).toBe(0);
        expect(w.status.message).toMatch(/no verdict in 6 analyses in a row/);
      });
    });

    it('rolls back within seconds on a conclusive early failure of the compare judge', () => {
      const w = progressing(spec({ judge: { mode: 'compare', minRequests: 50, confidence: 0.95, maxRelativeDegradation: 0.1 } }));
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      w.answers.analysis = { ...fail, conclusive: true, summary: 'error rate 5% vs 0.1% (sequential test, 95% confidence)' };
      reconcile(w, at(5));
      expect(w.asked).toContainEqual({ type: 'analysis', windowStart: at(2).toISOString(), early: true, mirrored: false });
      expect(w.status.phase).toBe('Failed');
      expect(w.status.message).toMatch(/failed early/);
    });

    it('restarts the analysis when a newer revision arrives mid-rollout', () => {
      const w = progressing();
      w.answers.analysis = pass;
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      reconcile(w, at(13));
      expect(w.status.canaryWeight).toBe(40);
      w.observed.target = deployment('r3', 2);
      const out = reconcile(w, at(14));
      expect(events(out.actions)).toContain('NewRevision');
      expect(routes(out.actions)).toEqual(['weighted:20']);
      expect(w.status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'r3', failedChecks: 0, canaryWeight: 20 });
      expect(w.status.rollout?.startedAt).toBe(at(14).toISOString());
      // The proxies still had 20% from the old revision: its analysis window starts now.
      expect(w.status.rollout?.stepStartedAt).toBe(at(14).toISOString());
      reconcile(w, at(20));
      expect(w.asked.filter((n) => n.type === 'analysis')).toEqual([]);
    });

    it('fails when the canary is not ready within progressDeadlineSeconds', () => {
      const w = initialized();
      w.observed.target = deployment('r2', 2, 0);
      reconcile(w, at(1));
      reconcile(w, at(30));
      expect(w.status.phase).toBe('Progressing');
      reconcile(w, at(62));
      expect(w.status.phase).toBe('Failed');
      expect(w.status.message).toMatch(/not ready within 60s/);
    });

    it('holds the weight outside deployment windows and says when the next one opens', () => {
      const w = progressing();
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      w.observed.window = { open: false, nextOpenAt: '2026-11-22T08:00:00.000Z' };
      reconcile(w, at(13));
      expect(w.asked.filter((n) => n.type === 'analysis')).toEqual([]);
      expect(w.status.canaryWeight).toBe(20);
      expect(w.status.message).toBe('holding canary weight 20%: outside the deployment windows; the next window opens at 2026-11-22T08:00:00.000Z');
    });

    it('looks again when the next window opens while holding a weight', () => {
      const w = progressing();
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      w.observed.window = { open: false, nextOpenAt: at(16).toISOString() };
      const out = reconcile(w, at(13));
      expect(out.requeueAfterMs).toBe(3_000);
      w.observed.window = { open: true };
      w.answers.analysis = pass;
      reconcile(w, at(16));
      expect(w.status.canaryWeight).toBe(40);
    });

    it('uses stepWeights and a mirror step before the first weight', () => {
      const w = progressing(spec({ stepWeight: undefined, maxWeight: undefined, stepWeights: [5, 50], mirror: true, mirrorWeight: 30 }));
      w.answers.analysis = pass;
      let out = reconcile(w, at(2));
      expect(routes(out.actions)).toEqual(['mirror:30']);
      apply(w, { kind: 'mirror', mirrorPercent: 30 }, at(2));
      out = reconcile(w, at(13));
      // The mirror step is judged on the copies the canary answered; the weighted steps are not.
      expect(w.asked).toContainEqual({ type: 'analysis', windowStart: at(2).toISOString(), early: false, mirrored: true });
      expect(routes(out.actions)).toContain('weighted:5');
      apply(w, { kind: 'weighted', canaryWeight: 5 }, at(13));
      out = reconcile(w, at(24));
      expect(w.asked).toContainEqual({ type: 'analysis', windowStart: at(13).toISOString(), early: false, mirrored: false });
      expect(routes(out.actions)).toContain('weighted:50');
    });

    it('steps traffic back by stepWeightPromotion when promoting', () => {
      const w = progressing(spec({ stepWeight: 50, maxWeight: 50, stepWeightPromotion: 20 }));
      w.answers.analysis = pass;
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 50 }, at(2));
      reconcile(w, at(13));
      expect(w.status.phase).toBe('Promoting');
      w.observed.primary = deployment('r2', 2);
      reconcile(w, at(14));
      expect(w.status.phase).toBe('Finalising');
      const seen: number[] = [];
      for (let t = 15; t < 80 && w.status.phase === 'Finalising'; t += 11) {
        const weight = w.status.canaryWeight ?? 0;
        apply(w, weight > 0 ? { kind: 'weighted', canaryWeight: weight } : { kind: 'primary' }, at(t));
        reconcile(w, at(t));
        seen.push(w.status.canaryWeight ?? 0);
      }
      expect(seen).toEqual([50, 30, 10, 0, 0]);
      expect(w.status.phase).toBe('Succeeded');
    });

    it('keeps traffic where it is when the primary cannot be promoted in time', () => {
      const w = progressing(spec({ stepWeight: 60 }));
      w.answers.analysis = pass;
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 60 }, at(2));
      reconcile(w, at(13));
      expect(w.status.phase).toBe('Promoting');
      w.observed.primary = deployment('r2', 2, 0, false);
      const out = reconcile(w, at(80));
      expect(w.status.phase).toBe('Promoting');
      expect(routes(out.actions)).toEqual(['weighted:60']);
      expect(w.status.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');
    });

    it('promotes without analysis when skipAnalysis is set', () => {
      const w = initialized(spec({}, { skipAnalysis: true }));
      w.observed.target = deployment('r2', 2);
      const out = reconcile(w, at(2));
      expect(w.status.phase).toBe('Promoting');
      expect(out.actions).toContainEqual({ type: 'PromotePrimary', replicas: 2 });
    });

    it('ignores new revisions while suspended', () => {
      const w = initialized(spec({}, { suspend: true }));
      w.observed.target = deployment('r2', 2);
      reconcile(w, at(1));
      expect(w.status.phase).toBe('Initialized');
      expect(w.status.message).toMatch(/suspended/);
    });
  });

  describe('deployment windows', () => {
    const NEXT = '2026-11-22T08:00:00.000Z';
    const hooked = (): CanarySpec => spec({ webhooks: [{ name: 'gate', type: 'confirm-rollout', url: 'http://127.0.0.1:1/gate' }] });
    const failed = (): World => {
      const w = progressing();
      w.observed.manualAction = { action: 'abort', nonce: 'a' };
      reconcile(w, at(2));
      apply(w, { kind: 'primary' }, at(2));
      expect(w.status.phase).toBe('Failed');
      return w;
    };

    // A new revision that arrives while every window is closed is detected but not started:
    // no pods, no traffic, no webhook asked, from whichever phase it arrives in.
    it.each([
      { from: 'Initialized', setup: (): World => initialized(), lastApplied: 'r1' },
      { from: 'Initialized, with a confirm-rollout gate', setup: (): World => initialized(hooked()), lastApplied: 'r1' },
      { from: 'Failed', setup: failed, lastApplied: 'r2' },
    ])('waits outside the windows from $from, without pods or traffic, and starts when a window opens', ({ setup, lastApplied }) => {
      const w = setup();
      w.observed.window = { open: false, nextOpenAt: NEXT };
      w.observed.target = deployment('r3', 0, 0);
      let out = reconcile(w, at(20));
      expect(w.status).toMatchObject({ phase: 'Waiting', lastAppliedSpec: lastApplied, canaryWeight: 0 });
      expect(w.status.message).toBe(`new revision r3 detected; outside the deployment windows; the next window opens at ${NEXT}`);
      expect(routes(out.actions)).toEqual(['primary']);
      expect(scaled(out.actions)).toEqual([0]);
      expect(w.asked).toEqual([]);
      expect(out.actions).toContainEqual(expect.objectContaining({ type: 'Event', reason: 'Waiting', message: `New revision r3 waits, its rollout not started: outside the deployment windows; the next window opens at ${NEXT}` }));
      expect(out.requeueAfterMs).toBe(10_000);

      // Looked at again: still waiting, nothing new said.
      out = reconcile(w, at(30));
      expect(w.status.phase).toBe('Waiting');
      expect(events(out.actions)).toEqual([]);
      expect(scaled(out.actions)).toEqual([0]);

      // The window opens: the rollout starts (through its gate, if it has one).
      w.observed.window = { open: true };
      out = reconcile(w, at(40));
      expect(w.status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'r3' });
      expect(scaled(out.actions)).toEqual([2]);
      expect(events(out.actions)).toContain('Progressing');
    });

    it.each([
      { case: 'the next window opens within an interval', window: { open: false, nextOpenAt: at(23.5).toISOString() }, requeue: 3_500, message: /the next window opens at 2026-11-21T10:00:23.500Z$/ },
      { case: 'the next window opens in months', window: { open: false, nextOpenAt: '2027-03-01T00:00:00.000Z' }, requeue: 10_000, message: /the next window opens at 2027-03-01T00:00:00.000Z$/ },
      { case: 'the opening is already past (clock skew)', window: { open: false, nextOpenAt: at(19).toISOString() }, requeue: 0, message: /the next window opens at/ },
      {
        case: 'a window is invalid',
        window: { open: false, message: 'invalid deployment window (spec.analysis.windows[0].timeZone: unknown time zone Mars/Olympus): the rollout holds until it is fixed' },
        requeue: 10_000,
        message: /^new revision r2 detected; invalid deployment window \(.*Mars\/Olympus\): the rollout holds until it is fixed$/,
      },
      { case: 'no window opens again', window: { open: false, message: 'outside the deployment windows, and none of them opens again' }, requeue: 10_000, message: /; outside the deployment windows, and none of them opens again$/ },
    ])('says why and looks again in time when $case', ({ window, requeue, message }) => {
      const w = initialized();
      w.observed.window = window;
      w.observed.target = deployment('r2', 0, 0);
      const out = reconcile(w, at(20));
      expect(w.status.phase).toBe('Waiting');
      expect(w.status.message).toMatch(message);
      expect(out.requeueAfterMs).toBe(requeue);
    });

    it('does not hold a promotion under way when the windows close', () => {
      const w = progressing(spec({ stepWeight: 60 }));
      w.answers.analysis = pass;
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 60 }, at(2));
      reconcile(w, at(13));
      expect(w.status.phase).toBe('Promoting');
      w.observed.window = { open: false, nextOpenAt: NEXT };
      w.observed.primary = deployment('r2', 2);
      reconcile(w, at(14));
      expect(w.status.phase).toBe('Finalising');
      apply(w, { kind: 'primary' }, at(15));
      reconcile(w, at(15));
      expect(w.status).toMatchObject({ phase: 'Succeeded', lastPromotedSpec: 'r2' });
    });

    it('holds WaitingPromotion outside the windows: the promotion is decided inside one', () => {
      const gated = spec({ stepWeight: 60, webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://127.0.0.1:1/gate' }] });
      const w = progressing(gated);
      w.answers.analysis = pass;
      w.answers.gates = { 'confirm-promotion': { value: false, message: '' } };
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 60 }, at(2));
      reconcile(w, at(13));
      expect(w.status.phase).toBe('WaitingPromotion');
      w.answers.gates = {};
      w.observed.window = { open: false, nextOpenAt: NEXT };
      reconcile(w, at(24));
      expect(w.status.phase).toBe('WaitingPromotion');
      expect(w.asked).toEqual([]);
      expect(w.status.message).toBe(`holding canary weight 60%: outside the deployment windows; the next window opens at ${NEXT}`);
      w.observed.window = { open: true };
      reconcile(w, at(25));
      expect(w.status.phase).toBe('Promoting');
    });
  });

  describe('webhooks', () => {
    const withHooks = (...types: string[]): CanarySpec =>
      spec({ webhooks: types.map((type) => ({ name: type, type: type as 'rollout', url: 'http://127.0.0.1:1/hook' })) });

    it('waits while confirm-rollout is closed and starts once it opens', () => {
      const w = initialized(withHooks('confirm-rollout'));
      w.answers.gates = { 'confirm-rollout': { value: false, message: 'change freeze' } };
      w.observed.target = deployment('r2', 2);
      reconcile(w, at(1));
      expect(w.status.phase).toBe('Waiting');
      expect(w.status.message).toMatch(/confirm-rollout webhook closed \(change freeze\)/);
      // Asked again each interval, without announcing the same revision again.
      const out = reconcile(w, at(11));
      expect(w.status.phase).toBe('Waiting');
      expect(events(out.actions)).toEqual([]);
      expect(w.asked).toEqual([{ type: 'gate', webhook: 'confirm-rollout' }]);
      w.answers.gates = { 'confirm-rollout': { value: true, message: '' } };
      reconcile(w, at(12));
      expect(w.status.phase).toBe('Progressing');
    });

    it('fails the rollout when a pre-rollout webhook fails', () => {
      const w = initialized(withHooks('pre-rollout'));
      w.answers.preRollout = { ok: false, message: 'load test returned 500' };
      w.observed.target = deployment('r2', 2);
      reconcile(w, at(1));
      expect(w.status.phase).toBe('Failed');
      expect(w.status.message).toMatch(/pre-rollout webhook failed: load test returned 500/);
    });

    it('holds the weight while confirm-traffic-increase is closed', () => {
      const w = progressing(withHooks('confirm-traffic-increase'));
      w.answers.analysis = pass;
      w.answers.gates = { 'confirm-traffic-increase': { value: false, message: '' } };
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      reconcile(w, at(13));
      expect(w.status.canaryWeight).toBe(20);
      expect(w.status.failedChecks).toBe(0);
      expect(w.status.message).toMatch(/confirm-traffic-increase webhook closed/);
    });

    it('waits for confirm-promotion before promoting', () => {
      const w = progressing({ ...withHooks('confirm-promotion'), analysis: { ...withHooks('confirm-promotion').analysis, stepWeight: 60 } });
      w.answers.analysis = pass;
      w.answers.gates = { 'confirm-promotion': { value: false, message: '' } };
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 60 }, at(2));
      reconcile(w, at(13));
      expect(w.status.phase).toBe('WaitingPromotion');
      w.answers.gates = { 'confirm-promotion': { value: true, message: '' } };
      reconcile(w, at(24));
      expect(w.status.phase).toBe('Promoting');
    });

    it('rolls back when a rollback webhook says so', () => {
      const w = progressing(withHooks('rollback'));
      w.answers.gates = { rollback: { value: true, message: 'on-call pressed the button' } };
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      reconcile(w, at(3));
      expect(w.status.phase).toBe('Failed');
      expect(w.status.message).toMatch(/on-call pressed the button/);
    });
  });

  describe('A/B testing and blue/green', () => {
    it('routes matching requests to the canary for the iterations, then promotes', () => {
      const w = progressing(spec({ stepWeight: undefined, maxWeight: undefined, iterations: 2, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] }));
      w.answers.analysis = pass;
      let out = reconcile(w, at(2));
      expect(routes(out.actions)).toEqual(['ab']);
      apply(w, { kind: 'ab' }, at(2));
      reconcile(w, at(13));
      expect(w.status.iterations).toBe(1);
      out = reconcile(w, at(24));
      expect(w.status).toMatchObject({ phase: 'Promoting', iterations: 2 });
      expect(routes(out.actions)).toContain('canary');
    });

    it('mirrors during blue/green analysis and never routes clients to the canary before promotion', () => {
      const w = progressing(spec({ stepWeight: undefined, maxWeight: undefined, iterations: 2, mirror: true }));
      w.answers.analysis = pass;
      const seen = new Set<string>();
      let out = reconcile(w, at(2));
      routes(out.actions).forEach((r) => seen.add(r));
      apply(w, { kind: 'mirror', mirrorPercent: 100 }, at(2));
      out = reconcile(w, at(13));
      expect(w.asked).toContainEqual({ type: 'analysis', windowStart: at(2).toISOString(), early: false, mirrored: true });
      routes(out.actions).forEach((r) => seen.add(r));
      expect([...seen].sort()).toEqual(['mirror:100', 'primary'].filter((r) => seen.has(r)).sort());
      expect(seen.has('canary')).toBe(false);
      expect(w.status.iterations).toBe(1);
    });
  });

  describe('manual actions', () => {
    it('pauses and resumes, acknowledging each request by nonce', () => {
      const w = progressing();
      w.observed.manualAction = { action: 'pause', nonce: 'n1' };
      w.answers.analysis = pass;
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      reconcile(w, at(13));
      expect(w.status.paused).toBe(true);
      expect(w.status.manualAction).toMatchObject({ action: 'pause', nonce: 'n1', state: 'Applied' });
      expect(w.status.canaryWeight).toBe(20);
      expect(w.asked.filter((n) => n.type === 'analysis')).toEqual([]);
      w.observed.manualAction = { action: 'resume', nonce: 'n2' };
      reconcile(w, at(24));
      expect(w.status.paused).toBe(false);
      expect(w.status.canaryWeight).toBe(40);
    });

    it('promotes on request, skipping the remaining steps', () => {
      const w = progressing();
      w.observed.manualAction = { action: 'promote', nonce: 'p1' };
      reconcile(w, at(2));
      expect(w.status.phase).toBe('Promoting');
      expect(w.status.manualAction?.state).toBe('Applied');
    });

    it('aborts on request, and retries a failed revision on request', () => {
      const w = progressing();
      w.observed.manualAction = { action: 'abort', nonce: 'a1' };
      const out = reconcile(w, at(2));
      expect(w.status.phase).toBe('Failed');
      expect(routes(out.actions)).toContain('primary');
      w.observed.manualAction = { action: 'retry', nonce: 'r1' };
      reconcile(w, at(3));
      expect(w.status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'r2' });
    });

    // What promote and abort do in each phase a rollout can be in. A manual promote is a
    // human override (Argo Rollouts' `promote --full`): whatever held the revision (a closed
    // gate, a closed deployment window) and the analysis are skipped. A canary that never
    // served traffic gets none: the primary is updated in place and keeps all of it.
    const confirmRolloutClosed = (): World => {
      const w = initialized(spec({ webhooks: [{ name: 'gate', type: 'confirm-rollout', url: 'http://127.0.0.1:1/gate' }] }));
      w.answers.gates = { 'confirm-rollout': { value: false, message: 'change freeze' } };
      w.observed.target = deployment('r2', 0, 0);
      reconcile(w, at(1));
      expect(w.status).toMatchObject({ phase: 'Waiting', lastAppliedSpec: 'r1' });
      return w;
    };
    const windowClosed = (): World => {
      const w = initialized();
      w.observed.window = { open: false, nextOpenAt: '2026-11-22T08:00:00.000Z' };
      w.observed.target = deployment('r2', 0, 0);
      reconcile(w, at(1));
      expect(w.status).toMatchObject({ phase: 'Waiting', lastAppliedSpec: 'r1' });
      return w;
    };
    const canaryStarting = (): World => {
      const w = initialized();
      w.observed.target = deployment('r2', 2, 0, false);
      reconcile(w, at(1));
      expect(w.status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'r2' });
      return w;
    };
    const atWeight40 = (): World => {
      const w = progressing();
      w.answers.analysis = pass;
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 20 }, at(2));
      reconcile(w, at(13));
      apply(w, { kind: 'weighted', canaryWeight: 40 }, at(13));
      reconcile(w, at(14));
      expect(w.status).toMatchObject({ phase: 'Progressing', canaryWeight: 40 });
      return w;
    };
    const waitingPromotion = (): World => {
      const hooks = spec({ stepWeight: 60, webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://127.0.0.1:1/gate' }] });
      const w = progressing(hooks);
      w.answers.analysis = pass;
      w.answers.gates = { 'confirm-promotion': { value: false, message: '' } };
      reconcile(w, at(2));
      apply(w, { kind: 'weighted', canaryWeight: 60 }, at(2));
      reconcile(w, at(13));
      expect(w.status.phase).toBe('WaitingPromotion');
      return w;
    };

    it.each([
      { from: 'Waiting: confirm-rollout closed', setup: confirmRolloutClosed, route: 'primary', target: 0, ack: /^promoting revision r2 now, skipping what held it .*: the canary has not served any traffic, so podinfo-primary is updated in place and keeps all traffic$/ },
      { from: 'Waiting: outside the deployment windows', setup: windowClosed, route: 'primary', target: 0, ack: /^promoting revision r2 now, skipping what held it .*podinfo-primary is updated in place and keeps all traffic$/ },
      { from: 'Progressing: canary not ready yet', setup: canaryStarting, route: 'primary', target: 0, ack: /^promoting revision r2 now, skipping the remaining analysis: the canary has not served any traffic, so podinfo-primary is updated in place/ },
      { from: 'Progressing at 40%', setup: atWeight40, route: 'weighted:40', target: 2, ack: /^promoting revision r2 now, skipping the remaining analysis: canary weight 40% until podinfo-primary runs it$/ },
      { from: 'WaitingPromotion', setup: waitingPromotion, route: 'weighted:60', target: 2, ack: /canary weight 60% until podinfo-primary runs it$/ },
    ])('promote from $from promotes revision r2 through to Succeeded, saying how', ({ setup, route, target, ack }) => {
      const w = setup();
      w.asked = [];
      w.observed.manualAction = { action: 'promote', nonce: 'p1' };
      let out = reconcile(w, at(30));
      expect(w.status.manualAction).toMatchObject({ action: 'promote', nonce: 'p1', state: 'Applied', message: expect.stringMatching(ack) });
      expect(w.status).toMatchObject({ phase: 'Promoting', lastAppliedSpec: 'r2' });
      expect(events(out.actions)).toContain('ManualAction');
      expect(out.actions).toContainEqual({ type: 'PromotePrimary', replicas: 2 });
      expect(routes(out.actions)).toEqual([route]);
      expect(scaled(out.actions)).toEqual([target]);
      // Nothing is asked any more: no gate, no analysis.
      expect(w.asked).toEqual([]);

      // The primary rolls out r2; the route goes back to the primary (in place: stays there).
      w.observed.primary = deployment('r2', 2);
      if (target === 0) {
        w.observed.target = deployment('r2', 0, 0);
      } else {
        out = reconcile(w, at(31));
        expect(w.status.phase).toBe('Finalising');
        expect(routes(out.actions)).toEqual(['primary']);
        apply(w, { kind: 'primary' }, at(32));
      }
      out = reconcile(w, at(32));
      expect(routes(out.actions)).toEqual(['primary']);
      expect(w.status).toMatchObject({ phase: 'Succeeded', lastAppliedSpec: 'r2', lastPromotedSpec: 'r2', canaryWeight: 0 });
      expect(events(out.actions)).toContain('Promoted');
      expect(scaled(out.actions)).toEqual([0]);
      expect(w.asked).toEqual([]);
    });

    it.each([
      { from: 'Waiting: confirm-rollout closed', setup: confirmRolloutClosed, reopen: (w: World): void => void (w.answers.gates = {}) },
      { from: 'Waiting: outside the deployment windows', setup: windowClosed, reopen: (w: World): void => void (w.observed.window = { open: true }) },
    ])('abort from $from marks the waiting revision Failed without giving it traffic, until retried', ({ setup, reopen }) => {
      const w = setup();
      w.observed.manualAction = { action: 'abort', nonce: 'a1' };
      let out = reconcile(w, at(30));
      expect(w.status.manualAction).toMatchObject({
        action: 'abort',
        state: 'Applied',
        message: 'revision r2 will not be rolled out; all traffic stays on podinfo-primary (retry rolls it out)',
      });
      expect(w.status).toMatchObject({ phase: 'Failed', lastAppliedSpec: 'r2', lastPromotedSpec: 'r1', canaryWeight: 0 });
      expect(w.status.message).toBe('aborted by a manual abort action before its rollout started: revision r2 got no traffic; all traffic stays on podinfo-primary');
      expect(routes(out.actions)).toEqual(['primary']);
      expect(scaled(out.actions)).toEqual([0]);
      expect(out.actions).toContainEqual(expect.objectContaining({ type: 'Event', eventType: 'Warning', reason: 'Aborted', alert: 'warn' }));
      expect(out.actions.some((a) => a.type === 'CallHooks' || a.type === 'PromotePrimary')).toBe(false);
      expect(w.status.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');

      // Its gate or window opening does not bring it back...
      reopen(w);
      out = reconcile(w, at(45));
      expect(w.status.phase).toBe('Failed');
      expect(routes(out.actions)).toEqual(['primary']);
      expect(scaled(out.actions)).toEqual([0]);
      // ...a retry does.
      w.observed.manualAction = { action: 'retry', nonce: 'r1' };
      reconcile(w, at(46));
      expect(w.status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'r2' });
    });

    it('rejects an action that does not fit the phase, and does not apply one nonce twice', () => {
      const w = initialized();
      w.observed.manualAction = { action: 'promote', nonce: 'x' };
      reconcile(w, at(1));
      expect(w.status.manualAction).toMatchObject({ state: 'Rejected', message: 'nothing to promote in phase Initialized' });
      const before = w.status.manualAction?.time;
      reconcile(w, at(2));
      expect(w.status.manualAction?.time).toBe(before);
    });
  });

  describe('deletion', () => {
    it('hands traffic back to the target before finalizing', () => {
      const w = initialized();
      w.observed.deleting = true;
      w.observed.target = deployment('r1', 0, 0);
      let out = reconcile(w, at(1));
      expect(w.status.phase).toBe('Terminating');
      expect(scaled(out.actions)).toEqual([2]);
      expect(out.actions.some((a) => a.type === 'Finalize')).toBe(false);
      w.observed.target = deployment('r1', 2);
      out = reconcile(w, at(2));
      expect(routes(out.actions)).toEqual(['canary']);
      expect(out.actions.some((a) => a.type === 'Finalize')).toBe(false);
      apply(w, { kind: 'canary' }, at(3));
      out = reconcile(w, at(3));
      expect(out.actions).toContainEqual({ type: 'Finalize' });
      expect(w.status.phase).toBe('Terminated');
    });

    it.each([
      { case: 'initialized, target at zero', setup: (): World => initialized() },
      { case: 'never initialized: the primary never got ready', setup: (): World => world(spec(), { target: deployment('r1', 2), primary: deployment('r1', 2, 0) }) },
    ])('finalizes at once when no waypoint proxy serves the apex ($case), giving the target its replicas back', ({ setup }) => {
      const w = setup();
      w.observed.deleting = true;
      w.observed.target = deployment('r1', 0, 0);
      w.observed.appliedRoute = undefined;
      w.observed.proxiesDesired = 0;
      const out = reconcile(w, at(1));
      expect(scaled(out.actions)).toEqual([2]);
      expect(out.actions.filter((a) => a.type === 'Finalize')).toHaveLength(1);
      expect(w.status.phase).toBe('Terminated');
      expect(w.status.message).toMatch(/no waypoint proxy serves the apex/);
    });

    it('keeps waiting for the proxies to acknowledge while some should serve the apex', () => {
      const w = initialized();
      w.observed.deleting = true;
      w.observed.target = deployment('r1', 2);
      w.observed.proxiesDesired = 1;
      const out = reconcile(w, at(1));
      expect(out.actions.some((a) => a.type === 'Finalize')).toBe(false);
      expect(w.status).toMatchObject({ phase: 'Terminating', message: 'waiting for every waypoint proxy to send all traffic to the target' });
    });

    // Proxies should serve the apex (desired 2) but none is connected: the waypoint never
    // started, so nothing will acknowledge the hand-back route. Deletion goes on without it:
    // the Deployment gets its replicas back, the apex is released to it once it is ready (or
    // after progressDeadlineSeconds if it never is), and the finalizer goes.
    it.each([
      { case: 'the Deployment gets ready', readyAt: 5, finalizedAt: 5, eventType: 'Normal', message: /^no waypoint proxy is connected: released the apex to podinfo without a hand-over/ },
      { case: 'the Deployment never gets ready', readyAt: undefined, finalizedAt: 62, eventType: 'Warning', message: /released the apex to podinfo, although podinfo was not ready \(0\/2\) within progressDeadlineSeconds \(60s\)$/ },
    ])('finalizes without the proxies when none is connected: $case', ({ readyAt, finalizedAt, eventType, message }) => {
      const w = initialized();
      w.observed.deleting = true;
      w.observed.target = deployment('r1', 0, 0);
      w.observed.proxiesDesired = 2;
      w.observed.proxiesConnected = 0;
      let out = reconcile(w, at(1));
      expect(w.status.phase).toBe('Terminating');
      expect(scaled(out.actions)).toEqual([2]);
      expect(out.actions.some((a) => a.type === 'Finalize')).toBe(false);
      expect(w.status.message).toBe('no waypoint proxy is connected: waiting for podinfo to be ready (0/2) before releasing the apex to it');
      w.observed.target = deployment('r1', 2, 0);
      for (let t = 2; t < finalizedAt; t += 5) {
        if (readyAt !== undefined && t >= readyAt) break;
        out = reconcile(w, at(t));
        expect(out.actions.some((a) => a.type === 'Finalize')).toBe(false);
      }
      if (readyAt !== undefined) w.observed.target = deployment('r1', 2);
      out = reconcile(w, at(finalizedAt));
      expect(out.actions.filter((a) => a.type === 'Finalize')).toHaveLength(1);
      expect(scaled(out.actions)).toEqual([2]);
      // No hand-back route is asked of proxies that are not there.
      expect(routes(out.actions)).toEqual([]);
      expect(w.status.phase).toBe('Terminated');
      expect(w.status.message).toMatch(message);
      expect(out.actions).toContainEqual(expect.objectContaining({ type: 'Event', eventType, reason: 'Terminated' }));

      // Looked at again while the route is released: carries on finalizing, says nothing new.
      out = reconcile(w, at(finalizedAt + 1));
      expect(out.actions).toEqual([{ type: 'Finalize' }]);
      expect(w.status.phase).toBe('Terminated');
    });

    it.each([
      { case: 'one of two proxies connected, not yet on the hand-back route', connected: 1 },
      { case: 'a MeshRoute status without the connected count', connected: undefined },
    ])('waits for the proxies to acknowledge the hand-back with $case', ({ connected }) => {
      const w = initialized();
      w.observed.deleting = true;
      w.observed.target = deployment('r1', 2);
      w.observed.proxiesDesired = 2;
      if (connected !== undefined) w.observed.proxiesConnected = connected;
      const out = reconcile(w, at(100));
      expect(routes(out.actions)).toEqual(['canary']);
      expect(out.actions.some((a) => a.type === 'Finalize')).toBe(false);
      expect(w.status).toMatchObject({ phase: 'Terminating', message: 'waiting for every waypoint proxy to send all traffic to the target' });
    });

    it('finalizes at once without revertOnDeletion', () => {
      const w = initialized(spec({}, { revertOnDeletion: false }));
      w.observed.deleting = true;
      const out = reconcile(w, at(1));
      expect(out.actions).toEqual([{ type: 'Finalize' }]);
    });
  });

  it('is idempotent: the same input gives the same output', () => {
    const w = progressing();
    reconcile(w, at(2));
    const input: MachineInput = { spec: w.spec, status: w.status, generation: 1, now: at(3), observed: w.observed };
    expect(decide(input)).toEqual(decide(structuredClone(input)));
  });
});
