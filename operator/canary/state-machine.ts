// The canary state machine: (spec, status, observations, now) → (actions, new status).
// Pure and synchronous; the canary controller performs the actions and feeds back what it
// sees. It is level-triggered: every call recomputes what the world should look like from
// the status alone, so calling it twice, or after an operator restart, is harmless.
//
// When it needs an answer only I/O can give (a webhook gate, an analysis step) it returns
// `needs` instead of acting; the controller gets the answers and calls it again with them.
import type { AlertSeverity, CanaryPhase, CanarySpec, CanaryStatus, AnalysisResult, ManualActionName } from '../../crds/canary.js';
import { maxWeight, nextPromotionWeight, nextWeight, readyThreshold, rolloutStrategy } from './steps.js';

/** Where the apex's traffic goes. */
export type DesiredRoute =
  | { kind: 'primary' }
  | { kind: 'weighted'; canaryWeight: number }
  | { kind: 'ab' }
  | { kind: 'mirror'; mirrorPercent: number }
  | { kind: 'canary' };

export function routeKey(route: DesiredRoute): string {
  switch (route.kind) {
    case 'weighted':
      return `weighted:${route.canaryWeight}`;
    case 'mirror':
      return `mirror:${route.mirrorPercent}`;
    default:
      return route.kind;
  }
}

export interface DeploymentObservation {
  /** Revision hash of the pod template (and its configs) the Deployment runs or rolls out. */
  revision: string;
  /** spec.replicas */
  replicas: number;
  readyReplicas: number;
  /** The Deployment controller finished rolling out the current template. */
  rolledOut: boolean;
}

export type GateWebhook = 'confirm-rollout' | 'confirm-traffic-increase' | 'confirm-promotion' | 'rollback';

export type Need =
  | { type: 'gate'; webhook: GateWebhook }
  | { type: 'pre-rollout' }
  /**
   * One analysis step over [windowStart, now]; `early`: only a conclusive failure matters;
   * `mirrored`: the step sends the canary nothing but mirrored copies, so judge those.
   */
  | { type: 'analysis'; windowStart: string; early: boolean; mirrored?: boolean };

export interface AnalysisAnswer {
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** A failure decided by a sequential test: strong enough to roll back at once. */
  conclusive: boolean;
  results: AnalysisResult[];
  /** Human-readable summary, e.g. the failing metric with value and threshold. */
  summary: string;
}

export interface Answers {
  /** Gate webhooks: confirm-* open (true) or closed; rollback triggered (true) or not. */
  gates?: Partial<Record<GateWebhook, { value: boolean; message: string }>>;
  preRollout?: { ok: boolean; message: string };
  analysis?: AnalysisAnswer;
}

export interface CanaryObservations {
  deleting: boolean;
  target?: DeploymentObservation;
  primary?: DeploymentObservation;
  /** The route every proxy serving the apex has acknowledged, and since when. */
  appliedRoute?: { route: DesiredRoute; since: string };
  /**
   * How many waypoint proxies should serve the apex (its MeshRoute's status.proxies.desired);
   * undefined while the MeshRoute has no status. 0: no proxy runs, so none can acknowledge.
   */
  proxiesDesired?: number;
  /**
   * How many of them are connected to the operator's config server (status.proxies.connected);
   * undefined when unknown (a status written before the field existed). 0 while proxiesDesired
   * is not: none runs or none reaches the operator, so none can acknowledge a route.
   */
  proxiesConnected?: number;
  /** A manual action requested through the annotation and not yet acknowledged. */
  manualAction?: { action: ManualActionName; nonce: string };
  /**
   * Deployment windows: whether one is open now; when the next opens if not; `message` says
   * why they are closed when no window will open (none ticks again, or one is invalid).
   */
  window: { open: boolean; nextOpenAt?: string; message?: string };
  answers?: Answers;
}

export interface MachineInput {
  spec: CanarySpec;
  status: CanaryStatus;
  generation: number;
  now: Date;
  observed: CanaryObservations;
}

export type CanaryAction =
  | { type: 'EnsureServices' }
  /** Create <target>-primary from the target's template if it does not exist. */
  | { type: 'EnsurePrimary'; replicas: number }
  /** Copy the target's current template to the primary and scale it. */
  | { type: 'PromotePrimary'; replicas: number }
  | { type: 'ScaleTarget'; replicas: number }
  | { type: 'SetRoute'; route: DesiredRoute }
  /** post-rollout and rollback webhooks, fire and forget. */
  | { type: 'CallHooks'; webhook: 'post-rollout' }
  | { type: 'Event'; eventType: 'Normal' | 'Warning'; reason: string; message: string; alert?: AlertSeverity }
  /** Deletion done: release the apex, remove Sluice's objects and the finalizer. */
  | { type: 'Finalize' };

export type MachineOutput =
  | { kind: 'needs'; needs: Need[] }
  | { kind: 'act'; actions: CanaryAction[]; status: CanaryStatus; requeueAfterMs?: number };

/** Seconds between early checks of live counters while a compare judge is watching. */
export const EARLY_CHECK_INTERVAL_MS = 2_000;
/** How soon to look again while waiting for something that happens on its own. */
const POLL_MS = 1_000;

type Rollout = NonNullable<CanaryStatus['rollout']>;

/** A context with the inputs and the output being built, so the phases read plainly. */
class Step {
  readonly actions: CanaryAction[] = [];
  /** Desired state, last word wins: one pass may change its mind (idle → rollout start). */
  desiredRoute: DesiredRoute | undefined;
  targetReplicas: number | undefined;
  status: CanaryStatus;
  requeueAfterMs: number | undefined;
  readonly needs: Need[] = [];
  readonly nowIso: string;

  constructor(readonly input: MachineInput) {
    this.status = structuredClone(input.status);
    this.nowIso = input.now.toISOString();
  }

  get spec(): CanarySpec {
    return this.input.spec;
  }
  get observed(): CanaryObservations {
    return this.input.observed;
  }
  get rollout(): Rollout {
    this.status.rollout ??= {};
    return this.status.rollout;
  }
  get intervalMs(): number {
    return parseIntervalMs(this.spec.analysis.interval);
  }

  act(action: CanaryAction): void {
    this.actions.push(action);
  }
  event(eventType: 'Normal' | 'Warning', reason: string, message: string, alert?: AlertSeverity): void {
    this.act({ type: 'Event', eventType, reason, message, ...(alert ? { alert } : {}) });
  }
  requeue(ms: number): void {
    this.requeueAfterMs = this.requeueAfterMs === undefined ? ms : Math.min(this.requeueAfterMs, ms);
  }
  phase(next: CanaryPhase, message: string): void {
    if (this.status.phase !== next) {
      this.status.phase = next;
      this.status.lastTransitionTime = this.nowIso;
    }
    this.status.message = message;
  }
  message(text: string): void {
    this.status.message = text;
  }
  /** Asks for an answer unless it is already given. */
  need<K extends keyof Answers>(key: K, need: Need): Answers[K] | undefined {
    const answer = this.observed.answers?.[key];
    if (answer === undefined) this.needs.push(need);
    return answer;
  }
  gate(webhook: GateWebhook): { value: boolean; message: string } | undefined {
    if (!hasWebhook(this.spec, webhook)) return { value: webhook !== 'rollback', message: '' };
    const answer = this.observed.answers?.gates?.[webhook];
    if (answer === undefined) this.needs.push({ type: 'gate', webhook });
    return answer;
  }
  scaleTarget(replicas: number): void {
    this.targetReplicas = replicas;
  }
  /** Routes traffic, and says whether every proxy has applied that route. */
  route(route: DesiredRoute): boolean {
    this.desiredRoute = route;
    this.status.canaryWeight = canaryShare(route);
    const applied = this.observed.appliedRoute;
    return applied !== undefined && routeKey(applied.route) === routeKey(route);
  }
}

function hasWebhook(spec: CanarySpec, type: string): boolean {
  return spec.analysis.webhooks?.some((w) => w.type === type) ?? false;
}

function canaryShare(route: DesiredRoute): number {
  switch (route.kind) {
    case 'weighted':
      return route.canaryWeight;
    case 'canary':
      return 100;
    default:
      return 0;
  }
}

export function parseIntervalMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (match) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
    return Number(match[1]) * unit;
  }
  // Compound durations ("1m30s"): sum the terms.
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total > 0 ? total : 60_000;
}

function elapsedMs(sinceIso: string | undefined, now: Date): number {
  if (!sinceIso) return 0;
  const since = Date.parse(sinceIso);
  return Number.isFinite(since) ? now.getTime() - since : 0;
}

function isReady(d: DeploymentObservation | undefined, thresholdPercent: number | undefined): boolean {
  if (!d || !d.rolledOut) return false;
  return d.readyReplicas >= readyThreshold(d.replicas, thresholdPercent);
}

/** How many replicas the target runs while it is the canary: as many as the primary. */
function canaryReplicas(observed: CanaryObservations): number {
  return Math.max(1, observed.primary?.replicas ?? observed.target?.replicas ?? 1);
}

function setCondition(status: CanaryStatus, type: 'Ready' | 'Stalled' | 'Reconciling' | 'Promoted', value: boolean, reason: string, message: string, now: string, generation: number): void {
  const conditions = status.conditions ?? [];
  const next = value ? 'True' : 'False';
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status !== next) existing.lastTransitionTime = now;
    existing.status = next;
    existing.reason = reason;
    existing.message = message;
    existing.observedGeneration = generation;
  } else {
    conditions.push({ type, status: next, reason, message, lastTransitionTime: now, observedGeneration: generation });
  }
  status.conditions = conditions;
}

const IDLE: readonly CanaryPhase[] = ['Initialized', 'Succeeded', 'Failed'];
const ACTIVE: readonly CanaryPhase[] = ['Progressing', 'Waiting', 'WaitingPromotion'];

export function decide(input: MachineInput): MachineOutput {
  const s = new Step(input);
  s.status.observedGeneration = input.generation;

  if (input.observed.deleting) {
    terminate(s);
  } else if (!input.observed.target) {
    s.message(`target Deployment ${input.spec.targetRef.name} not found`);
    s.requeue(s.intervalMs);
  } else {
    handleManualAction(s);
    runPhase(s);
  }

  if (s.needs.length > 0) return { kind: 'needs', needs: s.needs };
  updateConditions(s);
  const actions: CanaryAction[] = [];
  const [setup, rest] = partition(s.actions, (a) => a.type === 'EnsureServices' || a.type === 'EnsurePrimary' || a.type === 'PromotePrimary');
  actions.push(...setup);
  if (s.targetReplicas !== undefined) actions.push({ type: 'ScaleTarget', replicas: s.targetReplicas });
  if (s.desiredRoute !== undefined) actions.push({ type: 'SetRoute', route: s.desiredRoute });
  actions.push(...rest);
  return { kind: 'act', actions, status: s.status, ...(s.requeueAfterMs === undefined ? {} : { requeueAfterMs: s.requeueAfterMs }) };
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

function runPhase(s: Step): void {
  const phase = s.status.phase ?? 'Initializing';
  if (phase === 'Initializing' || phase === 'Terminated' || phase === 'Terminating') return initialize(s);
  if (IDLE.includes(phase)) return idle(s);
  if (phase === 'Waiting') return waiting(s);
  if (phase === 'Promoting') return promote(s);
  if (phase === 'Finalising') return finalise(s);
  return progress(s);
}

function initialize(s: Step): void {
  const target = s.observed.target;
  if (!target) return;
  if (s.status.phase !== 'Initializing') s.phase('Initializing', 'creating the primary Deployment and Services');
  s.act({ type: 'EnsureServices' });
  s.act({ type: 'EnsurePrimary', replicas: Math.max(1, target.replicas) });
  const routed = s.route({ kind: 'primary' });
  if (!isReady(s.observed.primary, s.spec.analysis.primaryReadyThreshold)) {
    s.message(`waiting for ${s.spec.targetRef.name}-primary to be ready`);
    return s.requeue(POLL_MS);
  }
  if (!routed) {
    s.message('waiting for every waypoint proxy to route all traffic to the primary');
    return s.requeue(POLL_MS);
  }
  // Only now is the target's traffic served by the primary: it can go to zero.
  s.scaleTarget(0);
  // What the primary runs is the baseline, not what the target holds now: a template changed
  // while the primary was being created is a new revision, and idle() must roll it out.
  const baseline = s.observed.primary?.revision || target.revision;
  s.status.lastAppliedSpec = baseline;
  s.status.lastPromotedSpec = baseline;
  s.status.failedChecks = 0;
  s.status.iterations = 0;
  s.phase('Initialized', `initialization done: ${s.spec.targetRef.name}-primary serves all traffic`);
  s.event('Normal', 'Initialized', `Initialization done: ${s.spec.targetRef.name}-primary serves all traffic`);
}

function idle(s: Step): void {
  const target = s.observed.target;
  if (!target) return;
  // Level-triggered: whatever happened before, an idle canary sends nothing to the target.
  const routed = s.route({ kind: 'primary' });
  if (routed) s.scaleTarget(0);
  if (target.revision === s.status.lastAppliedSpec) return;
  if (s.spec.suspend) {
    s.message(`new revision ${target.revision} detected, but the Canary is suspended`);
    return;
  }
  startRollout(s, target.revision);
}

/**
 * Waiting: a new revision is known but its rollout has not started (lastAppliedSpec is still
 * the revision before it), held by closed deployment windows, a closed confirm-rollout gate
 * or suspend. As between rollouts, the target gets neither traffic nor pods; every look
 * asks again whether the rollout may start.
 */
function waiting(s: Step): void {
  const target = s.observed.target;
  if (!target) return;
  const routed = s.route({ kind: 'primary' });
  if (routed) s.scaleTarget(0);
  if (s.spec.suspend) {
    s.message(`new revision ${target.revision} detected, but the Canary is suspended`);
    return;
  }
  startRollout(s, target.revision);
}

/** Why the deployment windows hold the rollout, and until when. */
function windowClosed(s: Step): string {
  const window = s.observed.window;
  if (window.nextOpenAt) return `outside the deployment windows; the next window opens at ${window.nextOpenAt}`;
  return window.message ?? 'outside the deployment windows';
}

/**
 * When to look again while the windows are closed: when the next one opens, but at least
 * every interval. A window may open months away, beyond what a timer can wait (setTimeout
 * fires at once past 2^31 ms); in steps of an interval the last look lands on the opening.
 */
function untilWindowOpensMs(s: Step): number {
  const next = s.observed.window.nextOpenAt;
  if (!next) return s.intervalMs;
  return Math.min(s.intervalMs, Math.max(0, Date.parse(next) - s.input.now.getTime()));
}

function startRollout(s: Step, revision: string): void {
  // Outside the deployment windows a new revision is not started at all: no pods, no traffic
  // step, no webhook asked. It starts when a window opens.
  if (!s.observed.window.open) {
    if (s.status.phase !== 'Waiting') {
      s.event('Normal', 'Waiting', `New revision ${revision} waits, its rollout not started: ${windowClosed(s)}`);
    }
    s.phase('Waiting', `new revision ${revision} detected; ${windowClosed(s)}`);
    return s.requeue(untilWindowOpensMs(s));
  }
  const gate = s.gate('confirm-rollout');
  if (!gate) return;
  if (!gate.value) {
    s.phase('Waiting', `waiting for approval: confirm-rollout webhook closed ${gate.message ? `(${gate.message})` : ''}`.trim());
    return s.requeue(s.intervalMs);
  }
  beginRollout(s, revision);
  s.phase('Progressing', `new revision ${revision} detected: starting the rollout`);
  s.event('Normal', 'Progressing', `New revision ${revision} detected, starting the rollout`, 'info');
  progress(s);
}

/** Makes `revision` the one being rolled out, with a fresh rollout record. */
function beginRollout(s: Step, revision: string): void {
  s.status.lastAppliedSpec = revision;
  s.status.failedChecks = 0;
  s.status.iterations = 0;
  s.status.canaryWeight = 0;
  s.status.analysisResults = [];
  s.status.rollout = { startedAt: s.nowIso };
}

function progress(s: Step): void {
  const target = s.observed.target;
  if (!target) return;
  const analysis = s.spec.analysis;

  if (target.revision !== s.status.lastAppliedSpec) {
    // A newer revision replaces the one being analysed: back to the primary and start over.
    s.event('Normal', 'NewRevision', `Revision ${target.revision} replaces ${s.status.lastAppliedSpec ?? 'the previous one'}: restarting the analysis`);
    s.route({ kind: 'primary' });
    if (s.spec.suspend) {
      s.phase('Waiting', `new revision ${target.revision} detected, but the Canary is suspended`);
      return;
    }
    return startRollout(s, target.revision);
  }

  const wanted = canaryReplicas(s.observed);
  s.scaleTarget(wanted);
  // A target still at zero replicas is "rolled out" and "ready" with nothing running: it is
  // ready as a canary only once it has the replicas asked for.
  if (target.replicas < wanted || !isReady(target, analysis.canaryReadyThreshold)) {
    const waited = elapsedMs(s.rollout.startedAt, s.input.now);
    if (waited > s.spec.progressDeadlineSeconds * 1000) {
      return rollback(s, `canary ${s.spec.targetRef.name} was not ready within ${s.spec.progressDeadlineSeconds}s (progressDeadlineSeconds)`);
    }
    s.route({ kind: 'primary' });
    s.message(`waiting for the canary ${s.spec.targetRef.name} to be ready (${target.readyReplicas}/${target.replicas})`);
    return s.requeue(POLL_MS);
  }

  if (!s.rollout.preRolloutPassed && hasWebhook(s.spec, 'pre-rollout')) {
    const answer = s.need('preRollout', { type: 'pre-rollout' });
    if (!answer) return;
    if (!answer.ok) return rollback(s, `pre-rollout webhook failed: ${answer.message}`);
    s.rollout.preRolloutPassed = true;
  }

  if (s.spec.skipAnalysis) {
    s.event('Normal', 'SkipAnalysis', 'Analysis skipped (skipAnalysis): promoting');
    return beginPromotion(s);
  }

  const desired = stepRoute(s);
  const applied = s.route(desired);
  if (s.status.paused) {
    s.message(`paused at ${describeRoute(desired)}: resume with the resume action`);
    return;
  }
  if (!applied) {
    s.message(`waiting for every waypoint proxy to apply ${describeRoute(desired)}`);
    return s.requeue(POLL_MS);
  }
  // A route applied before this rollout began (a revision replaced mid-rollout keeps the
  // weights it had) says nothing about the new canary: its window starts now.
  const ackedAt = s.observed.appliedRoute?.since ?? s.nowIso;
  const appliedSince = Date.parse(ackedAt) >= Date.parse(s.rollout.startedAt ?? ackedAt) ? ackedAt : s.nowIso;
  if (s.rollout.stepRoute !== routeKey(desired)) {
    // The step counts from the moment every proxy applied it, not from when we asked.
    s.rollout.stepRoute = routeKey(desired);
    s.rollout.stepStartedAt = appliedSince;
    s.rollout.lastAnalysisAt = appliedSince;
  }

  const rollbackGate = s.gate('rollback');
  if (!rollbackGate) return;
  if (rollbackGate.value) return rollback(s, `rollback webhook requested a rollback${rollbackGate.message ? `: ${rollbackGate.message}` : ''}`);

  const sinceAnalysis = elapsedMs(s.rollout.lastAnalysisAt, s.input.now);
  const compare = analysis.judge?.mode === 'compare';
  if (sinceAnalysis < s.intervalMs) {
    if (compare && sinceAnalysis >= EARLY_CHECK_INTERVAL_MS) {
      const early = s.need('analysis', { type: 'analysis', windowStart: s.rollout.stepStartedAt ?? appliedSince, early: true, mirrored: desired.kind === 'mirror' });
      if (!early) return;
      if (early.verdict === 'fail' && early.conclusive) {
        s.status.analysisResults = early.results;
        return rollback(s, `analysis failed early: ${early.summary}`);
      }
    }
    s.requeue(Math.min(s.intervalMs - sinceAnalysis, compare ? EARLY_CHECK_INTERVAL_MS : s.intervalMs));
    if (!s.status.message?.startsWith('advanced') && !s.status.message?.startsWith('analysis')) {
      s.message(`analysing ${describeRoute(desired)}`);
    }
    return;
  }

  // A rollout under way holds its weight outside the windows: no analysis, no next step.
  if (!s.observed.window.open) {
    s.message(`holding ${describeRoute(desired)}: ${windowClosed(s)}`);
    return s.requeue(untilWindowOpensMs(s));
  }

  const result = s.need('analysis', { type: 'analysis', windowStart: s.rollout.stepStartedAt ?? appliedSince, early: false, mirrored: desired.kind === 'mirror' });
  if (!result) return;
  s.rollout.lastAnalysisAt = s.nowIso;
  s.status.analysisResults = result.results;
  s.requeue(s.intervalMs);

  if (result.verdict === 'inconclusive') return inconclusive(s, desired, result);
  s.rollout.inconclusiveChecks = 0;
  if (result.verdict === 'fail') {
    const failed = (s.status.failedChecks ?? 0) + 1;
    s.status.failedChecks = failed;
    s.event('Warning', 'AnalysisFailed', `Analysis failed (${failed}/${analysis.threshold}): ${result.summary}`, 'warn');
    if (result.conclusive || failed >= analysis.threshold) {
      return rollback(s, `analysis failed ${failed} time(s) (threshold ${analysis.threshold}): ${result.summary}`);
    }
    s.message(`analysis failed (${failed}/${analysis.threshold}): ${result.summary}`);
    return;
  }
  advance(s);
}

/**
 * How many analyses in a row may go without a verdict before the rollout fails: as many as fit
 * in progressDeadlineSeconds. No data is not a failure (a quiet canary is not a broken one),
 * but a rollout nobody can judge must not hold its weight forever either.
 */
export function inconclusiveLimit(spec: CanarySpec): number {
  return Math.max(1, Math.ceil((spec.progressDeadlineSeconds * 1000) / parseIntervalMs(spec.analysis.interval)));
}

function inconclusive(s: Step, desired: DesiredRoute, result: AnalysisAnswer): void {
  const count = (s.rollout.inconclusiveChecks ?? 0) + 1;
  const limit = inconclusiveLimit(s.spec);
  s.rollout.inconclusiveChecks = count;
  if (count >= limit) {
    return rollback(s, `no verdict in ${count} analyses in a row (progressDeadlineSeconds ${s.spec.progressDeadlineSeconds}s): ${result.summary}`);
  }
  if (count === 1) {
    s.event(
      'Warning',
      'AnalysisInconclusive',
      `Analysis inconclusive at ${describeRoute(desired)}: ${result.summary}. The rollout holds; it is rolled back after ${limit} inconclusive analyses in a row (progressDeadlineSeconds ${s.spec.progressDeadlineSeconds}s)`,
    );
  }
  s.message(`analysis inconclusive (${count}/${limit}) at ${describeRoute(desired)}: ${result.summary}`);
}

/** The route of the current step of an active rollout. */
function stepRoute(s: Step): DesiredRoute {
  const analysis = s.spec.analysis;
  switch (rolloutStrategy(analysis)) {
    case 'ab':
      return { kind: 'ab' };
    case 'blue-green':
      return analysis.mirror ? { kind: 'mirror', mirrorPercent: analysis.mirrorWeight ?? 100 } : { kind: 'primary' };
    case 'canary': {
      const weight = s.status.canaryWeight ?? 0;
      if (weight > 0) return { kind: 'weighted', canaryWeight: weight };
      // Before the first weight step: a mirror step if asked for, else the first weight.
      if (analysis.mirror && !s.rollout.mirrorDone) return { kind: 'mirror', mirrorPercent: analysis.mirrorWeight ?? 100 };
      return { kind: 'weighted', canaryWeight: nextWeight(analysis, 0) ?? maxWeight(analysis) };
    }
  }
}

function describeRoute(route: DesiredRoute): string {
  switch (route.kind) {
    case 'weighted':
      return `canary weight ${route.canaryWeight}%`;
    case 'mirror':
      return `${route.mirrorPercent}% of traffic mirrored to the canary`;
    case 'ab':
      return 'matching requests routed to the canary';
    case 'canary':
      return 'all traffic on the canary';
    case 'primary':
      return 'all traffic on the primary';
  }
}

function advance(s: Step): void {
  const analysis = s.spec.analysis;
  const strategy = rolloutStrategy(analysis);
  if (strategy === 'canary') {
    const current = s.status.canaryWeight ?? 0;
    if (analysis.mirror && !s.rollout.mirrorDone && current === 0) {
      s.rollout.mirrorDone = true;
      return takeStep(s, { kind: 'weighted', canaryWeight: nextWeight(analysis, 0) ?? maxWeight(analysis) });
    }
    const next = nextWeight(analysis, current);
    if (next === undefined) return beginPromotion(s);
    return takeStep(s, { kind: 'weighted', canaryWeight: next });
  }
  const iterations = (s.status.iterations ?? 0) + 1;
  s.status.iterations = iterations;
  if (iterations >= (analysis.iterations ?? 1)) return beginPromotion(s);
  s.message(`analysis passed (iteration ${iterations}/${analysis.iterations ?? 1})`);
}

function takeStep(s: Step, route: DesiredRoute): void {
  const gate = s.gate('confirm-traffic-increase');
  if (!gate) return;
  if (!gate.value) {
    s.message(`analysis passed; holding: confirm-traffic-increase webhook closed${gate.message ? ` (${gate.message})` : ''}`);
    return;
  }
  s.route(route);
  s.status.failedChecks = 0;
  s.rollout.inconclusiveChecks = 0;
  s.message(`advanced to ${describeRoute(route)}`);
  s.event('Normal', 'WeightIncreased', `Advanced to ${describeRoute(route)}`);
  s.requeue(POLL_MS);
}

function beginPromotion(s: Step): void {
  const gate = s.gate('confirm-promotion');
  if (!gate) return;
  if (!gate.value) {
    s.phase('WaitingPromotion', `analysis complete; waiting for approval: confirm-promotion webhook closed${gate.message ? ` (${gate.message})` : ''}`);
    return s.requeue(s.intervalMs);
  }
  s.phase('Promoting', `promoting revision ${s.status.lastAppliedSpec ?? ''} to ${s.spec.targetRef.name}-primary`);
  s.event('Normal', 'Promoting', `Copying revision ${s.status.lastAppliedSpec ?? ''} to ${s.spec.targetRef.name}-primary`, 'info');
  promote(s);
}

/**
 * Whether a promotion replaces the primary in place: the canary never served a step of this
 * rollout and is not ready to (a manual promote of a Waiting revision, or one sent while the
 * canary was still starting). Routing traffic to it would send clients to pods that are not
 * there, so the primary keeps all traffic and its own rolling update replaces it, and the
 * target stays at zero. Level-triggered: with the target at zero the answer stays yes.
 */
function promotesInPlace(s: Step): boolean {
  const target = s.observed.target;
  if (!target || s.rollout.stepRoute !== undefined) return false;
  return target.replicas < canaryReplicas(s.observed) || !isReady(target, s.spec.analysis.canaryReadyThreshold);
}

/** Where traffic goes while the primary is replaced. */
function promotionRoute(s: Step, inPlace: boolean): DesiredRoute {
  if (inPlace) return { kind: 'primary' };
  // Blue/green and A/B switch everyone to the proven canary while the primary is replaced;
  // a weighted canary keeps its last split. Either way the healthy side keeps serving.
  if (rolloutStrategy(s.spec.analysis) !== 'canary') return { kind: 'canary' };
  return { kind: 'weighted', canaryWeight: s.status.canaryWeight || maxWeight(s.spec.analysis) };
}

/**
 * Promoting and Finalising are not held by closed deployment windows. A promotion begins only
 * after an analysis, and analyses run only inside a window (WaitingPromotion analyses again
 * each interval, so it is held too); the one exception, a manual promote, is an explicit
 * override. Once begun, a half-done promotion (the primary half replaced, traffic split) is
 * worse to leave standing for hours than to finish, stepWeightPromotion steps included.
 */
function promote(s: Step): void {
  const target = s.observed.target;
  if (!target) return;
  if (target.revision !== s.status.lastAppliedSpec) return progress(s);
  const inPlace = promotesInPlace(s);
  s.route(promotionRoute(s, inPlace));
  s.scaleTarget(inPlace ? 0 : canaryReplicas(s.observed));
  const replicas = Math.max(target.replicas, s.observed.primary?.replicas ?? 0, 1);
  s.act({ type: 'PromotePrimary', replicas });
  const primary = s.observed.primary;
  if (!primary || primary.revision !== target.revision || !isReady(primary, s.spec.analysis.primaryReadyThreshold)) {
    const waited = elapsedMs(s.status.lastTransitionTime, s.input.now);
    if (waited > s.spec.progressDeadlineSeconds * 1000) {
      s.message(
        `${s.spec.targetRef.name}-primary did not become ready with the new revision within ${s.spec.progressDeadlineSeconds}s; traffic stays where it is until it does`,
      );
      s.rollout.stalled = true;
    } else {
      s.message(`waiting for ${s.spec.targetRef.name}-primary to roll out revision ${target.revision}`);
    }
    return s.requeue(POLL_MS);
  }
  s.rollout.stalled = false;
  s.phase('Finalising', 'primary promoted: routing all traffic back to it');
  finalise(s);
}

function finalise(s: Step): void {
  const target = s.observed.target;
  if (!target) return;
  if (target.revision !== s.status.lastAppliedSpec) return progress(s);
  const current = s.status.canaryWeight ?? 0;
  const analysis = s.spec.analysis;
  const stepped = rolloutStrategy(analysis) === 'canary' && analysis.stepWeightPromotion !== undefined && current > 0;
  const route: DesiredRoute = stepped ? { kind: 'weighted', canaryWeight: current } : { kind: 'primary' };
  const applied = s.route(route);
  if (!applied) {
    s.message(`waiting for every waypoint proxy to apply ${describeRoute(route)}`);
    return s.requeue(POLL_MS);
  }
  if (stepped) {
    // Step traffic back to the primary, one stepWeightPromotion per interval.
    if (elapsedMs(s.rollout.lastAnalysisAt, s.input.now) < s.intervalMs) return s.requeue(s.intervalMs - elapsedMs(s.rollout.lastAnalysisAt, s.input.now));
    const next = nextPromotionWeight(analysis, current);
    s.rollout.lastAnalysisAt = s.nowIso;
    s.route(next > 0 ? { kind: 'weighted', canaryWeight: next } : { kind: 'primary' });
    s.message(`promoting: canary weight ${next}%`);
    return s.requeue(POLL_MS);
  }
  s.scaleTarget(0);
  s.status.lastPromotedSpec = target.revision;
  s.status.canaryWeight = 0;
  s.status.failedChecks = 0;
  const started = s.rollout.startedAt;
  s.status.rollout = { ...(started ? { startedAt: started } : {}), finishedAt: s.nowIso };
  s.phase('Succeeded', `revision ${target.revision} promoted`);
  s.event('Normal', 'Promoted', `Revision ${target.revision} promoted to ${s.spec.targetRef.name}-primary`, 'info');
  s.act({ type: 'CallHooks', webhook: 'post-rollout' });
}

function rollback(s: Step, reason: string): void {
  // The target goes to zero only once every proxy stopped sending it traffic (see idle()).
  s.route({ kind: 'primary' });
  s.targetReplicas = undefined;
  s.status.canaryWeight = 0;
  const started = s.rollout.startedAt;
  s.status.rollout = { ...(started ? { startedAt: started } : {}), finishedAt: s.nowIso };
  s.phase('Failed', `rolled back: ${reason}`);
  s.event('Warning', 'RolledBack', `Rolled back revision ${s.status.lastAppliedSpec ?? ''}: ${reason}`, 'error');
  s.act({ type: 'CallHooks', webhook: 'post-rollout' });
}

function handleManualAction(s: Step): void {
  const requested = s.observed.manualAction;
  // A request is answered once: by its nonce, or (set by hand without one) by its action.
  if (!requested || (s.status.manualAction?.nonce === requested.nonce && s.status.manualAction.action === requested.action)) return;
  const phase = s.status.phase ?? 'Initializing';
  const answer = (state: 'Applied' | 'Rejected', message: string): void => {
    s.status.manualAction = { action: requested.action, nonce: requested.nonce, state, message, time: s.nowIso };
    s.event(state === 'Applied' ? 'Normal' : 'Warning', state === 'Applied' ? 'ManualAction' : 'ManualActionRejected', `${requested.action}: ${message}`);
  };
  switch (requested.action) {
    case 'pause':
      s.status.paused = true;
      return answer('Applied', 'rollout paused');
    case 'resume':
      s.status.paused = false;
      return answer('Applied', 'rollout resumed');
    case 'promote': {
      if (!ACTIVE.includes(phase)) return answer('Rejected', `nothing to promote in phase ${phase}`);
      const primary = `${s.spec.targetRef.name}-primary`;
      // A human override, as Argo Rollouts' `promote --full`: a Waiting revision (held by the
      // confirm-rollout gate, the deployment windows or suspend) is promoted now, skipping
      // what held it and the analysis, as promote skips analysis and confirm-promotion later on.
      const held = phase === 'Waiting';
      const revision = held ? (s.observed.target?.revision ?? '') : (s.status.lastAppliedSpec ?? '');
      if (held && revision !== s.status.lastAppliedSpec) beginRollout(s, revision);
      const skipped = held ? 'skipping what held it (gate, deployment windows, suspend) and the analysis' : 'skipping the remaining analysis';
      const inPlace = promotesInPlace(s);
      const how = inPlace
        ? `the canary has not served any traffic, so ${primary} is updated in place and keeps all traffic`
        : `${describeRoute(promotionRoute(s, inPlace))} until ${primary} runs it`;
      answer('Applied', `promoting revision ${revision} now, ${skipped}: ${how}`);
      s.phase('Promoting', `promoting revision ${revision} (manual promote): ${how}`);
      return;
    }
    case 'abort': {
      if (!ACTIVE.includes(phase) && phase !== 'Promoting') return answer('Rejected', `no rollout to abort in phase ${phase}`);
      if (phase === 'Waiting') {
        // Nothing was rolled out: the waiting revision is marked Failed, so that it is not
        // started once its gate or window opens; retry rolls it out.
        const revision = s.observed.target?.revision ?? '';
        const primary = `${s.spec.targetRef.name}-primary`;
        answer('Applied', `revision ${revision} will not be rolled out; all traffic stays on ${primary} (retry rolls it out)`);
        s.status.lastAppliedSpec = revision;
        s.status.failedChecks = 0;
        s.status.analysisResults = [];
        s.status.rollout = { finishedAt: s.nowIso };
        s.route({ kind: 'primary' });
        s.phase('Failed', `aborted by a manual abort action before its rollout started: revision ${revision} got no traffic; all traffic stays on ${primary}`);
        s.event('Warning', 'Aborted', `Revision ${revision} aborted before its rollout started; all traffic stays on ${primary}`, 'warn');
        return;
      }
      answer('Applied', 'rollout aborted');
      s.status.phase = 'Progressing';
      rollback(s, 'aborted by a manual abort action');
      return;
    }
    case 'retry':
      if (phase !== 'Failed') return answer('Rejected', `only a Failed rollout can be retried (phase ${phase})`);
      answer('Applied', 'retrying the failed revision');
      // Forget the failed revision: the idle phase sees the target as new and starts over.
      s.status.lastAppliedSpec = s.status.lastPromotedSpec;
      return;
  }
}

function terminate(s: Step): void {
  // Finalize, once decided, is carried through: releasing the route takes a few seconds, and
  // deciding again would only wait on a route on its way out and announce the end twice.
  if (s.status.phase === 'Terminated') return s.act({ type: 'Finalize' });
  if (s.status.phase !== 'Terminating') s.phase('Terminating', 'Canary deleted: handing traffic back to the target Deployment');
  if (!s.spec.revertOnDeletion || !s.observed.target) {
    s.act({ type: 'Finalize' });
    s.phase('Terminated', 'Canary deleted');
    return;
  }
  // Give the user's Deployment its pods back before it gets any traffic, and traffic before
  // the apex is released: the service never goes without endpoints.
  const replicas = Math.max(1, s.observed.primary?.replicas ?? s.observed.target.replicas);
  s.scaleTarget(replicas);
  const target = s.observed.target;
  if (s.observed.proxiesDesired === 0) {
    // No proxy serves the apex, so nothing carries traffic that could be handed over and
    // nobody will ever acknowledge a route: waiting would hold the Canary forever. Releasing
    // the apex now gives it the Deployment's pods as soon as they are ready.
    s.act({ type: 'Finalize' });
    s.phase('Terminated', `no waypoint proxy serves the apex: released it to ${s.spec.targetRef.name} at once`);
    s.event('Normal', 'Terminated', `Canary deleted: no waypoint proxy serves the apex, so it was released to ${s.spec.targetRef.name} at once`);
    return;
  }
  const ready = isReady({ ...target, replicas }, 100) && target.replicas >= replicas;
  if (s.observed.proxiesConnected === 0) return releaseWithoutProxies(s, ready, replicas);
  if (!ready) {
    s.message(`waiting for ${s.spec.targetRef.name} to be ready (${target.readyReplicas}/${replicas}) before handing traffic back`);
    return s.requeue(POLL_MS);
  }
  if (!s.route({ kind: 'canary' })) {
    s.message('waiting for every waypoint proxy to send all traffic to the target');
    return s.requeue(POLL_MS);
  }
  s.act({ type: 'Finalize' });
  s.phase('Terminated', `traffic handed back to ${s.spec.targetRef.name}`);
  s.event('Normal', 'Terminated', `Canary deleted: traffic handed back to ${s.spec.targetRef.name}`);
}

/**
 * Deletion while proxies should serve the apex but none is connected to the operator: the
 * waypoint never started (image pull failure, crash loop), or the operator has just restarted
 * and its proxies are reconnecting. None can acknowledge a hand-back route, so none is waited
 * for. The apex is released once the Deployment is ready, which costs nothing in the first
 * case (nothing serves the apex then) and spares the second an outage; but no later than
 * progressDeadlineSeconds, so that a Deployment that never gets ready cannot hold the Canary.
 */
function releaseWithoutProxies(s: Step, ready: boolean, replicas: number): void {
  const name = s.spec.targetRef.name;
  const target = s.observed.target;
  const readyReplicas = target?.readyReplicas ?? 0;
  const waited = elapsedMs(s.status.lastTransitionTime, s.input.now);
  if (!ready && waited <= s.spec.progressDeadlineSeconds * 1000) {
    s.message(`no waypoint proxy is connected: waiting for ${name} to be ready (${readyReplicas}/${replicas}) before releasing the apex to it`);
    return s.requeue(POLL_MS);
  }
  s.act({ type: 'Finalize' });
  if (ready) {
    s.phase('Terminated', `no waypoint proxy is connected: released the apex to ${name} without a hand-over through the waypoint`);
    s.event('Normal', 'Terminated', `Canary deleted: no waypoint proxy is connected, so the apex was released to ${name} once it was ready`);
    return;
  }
  const late = `${name} was not ready (${readyReplicas}/${replicas}) within progressDeadlineSeconds (${s.spec.progressDeadlineSeconds}s)`;
  s.phase('Terminated', `no waypoint proxy is connected: released the apex to ${name}, although ${late}`);
  s.event('Warning', 'Terminated', `Canary deleted: no waypoint proxy is connected, and ${late}: the apex was released to it anyway`);
}

function updateConditions(s: Step): void {
  const phase = s.status.phase ?? 'Initializing';
  const gen = s.input.generation;
  const now = s.nowIso;
  const message = s.status.message ?? '';
  const stalled = s.rollout.stalled === true || phase === 'Failed' || !s.observed.target;
  const settled = phase === 'Initialized' || phase === 'Succeeded' || phase === 'Failed' || phase === 'Terminated';
  setCondition(s.status, 'Reconciling', !settled, settled ? phase : 'Progressing', message, now, gen);
  setCondition(s.status, 'Stalled', stalled, stalled ? (phase === 'Failed' ? 'RolledBack' : 'Stalled') : 'NotStalled', stalled ? message : '', now, gen);
  setCondition(s.status, 'Ready', phase === 'Initialized' || phase === 'Succeeded', phase, message, now, gen);
  const promoted = s.status.lastPromotedSpec !== undefined && s.status.lastPromotedSpec === s.status.lastAppliedSpec && phase !== 'Failed';
  setCondition(s.status, 'Promoted', promoted, promoted ? 'Promoted' : phase, message, now, gen);
}
