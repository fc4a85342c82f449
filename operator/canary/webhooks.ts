// The webhook runner: the canary controller's one way to call webhooks. It answers the state
// machine's webhook needs (gates, pre-rollout) in the shape of its Answers, runs rollout
// hooks as checks of an analysis step, calls post-rollout hooks, and tells event hooks about
// events without anyone waiting for them. What the hooks mean is decided in webhook-plan.ts;
// this file only calls them, logs and counts.
//
// Every method takes an AbortSignal: a stopping controller aborts it and the call ends at
// once. A method whose signal was aborted rejects with the signal's reason instead of
// answering, because an answer made up by a shutdown (a pre-rollout "failure") must never
// reach the state machine.

import axios, { type AxiosInstance } from 'axios';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { CheckResult, MetricCheck } from '../../analysis/index.js';
import type { CanaryWebhook, WebhookType } from '../../crds/index.js';
import type { BackoffPolicy } from '../runtime/backoff.js';
import { callWebhook } from './webhook-call.js';
import { webhookMetrics, type WebhookCallResult, type WebhookMetrics } from './webhook-metrics.js';
import { eventPayload, webhookPayload, type CanaryEventNotice, type WebhookCanary, type WebhookPayload } from './webhook-payload.js';
import {
  foldGate,
  foldPreRollout,
  isDecided,
  planFor,
  planForNeed,
  toCheckResults,
  toMetricCheckResult,
  webhookCheckName,
  type WebhookAttempt,
  type WebhookCheckResult,
  type WebhookOutcome,
  type WebhookPlan,
} from './webhook-plan.js';
import type { Answers, GateWebhook, Need } from './state-machine.js';

export type { WebhookCheckResult, WebhookOutcome } from './webhook-plan.js';
export type { CanaryEventNotice, WebhookCanary, WebhookPayload } from './webhook-payload.js';

export interface WebhookRunnerOptions {
  logger?: Logger;
  /** Where the webhook metrics are registered; a private registry when absent. */
  registry?: Registry;
  /** The HTTP client; a fresh axios instance when absent. */
  http?: AxiosInstance;
  /** Delay before each retry. Default: 1s doubling to 30s with 20% jitter (as Flagger's client). */
  backoff?: BackoffPolicy;
  /** Bytes of a response body kept for messages. Default 4096. */
  maxBodyBytes?: number;
  /** Event hook calls in flight at most; more are dropped (and counted). Default 64. */
  maxPendingEvents?: number;
  /** The event timestamp's clock. */
  now?: () => Date;
  userAgent?: string;
}

export const DEFAULT_WEBHOOK_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2 };

export class WebhookRunner {
  private readonly http: AxiosInstance;
  private readonly metrics: WebhookMetrics;
  private readonly backoff: BackoffPolicy;
  private readonly maxBodyBytes: number;
  private readonly maxPendingEvents: number;
  private readonly now: () => Date;
  private readonly userAgent: string;
  private readonly logger: Logger | undefined;
  /** Aborts the event calls still in flight when the runner closes. */
  private readonly closing = new AbortController();
  private readonly pending = new Set<Promise<void>>();

  constructor(options: WebhookRunnerOptions = {}) {
    this.http = options.http ?? axios.create();
    this.metrics = webhookMetrics(options.registry ?? new Registry());
    this.backoff = options.backoff ?? DEFAULT_WEBHOOK_BACKOFF;
    this.maxBodyBytes = options.maxBodyBytes ?? 4096;
    this.maxPendingEvents = options.maxPendingEvents ?? 64;
    this.now = options.now ?? (() => new Date());
    this.userAgent = options.userAgent ?? 'sluice-operator';
    this.logger = options.logger?.child({ component: 'webhooks' });
  }

  /**
   * Answers the webhook needs of one state-machine call: gates and pre-rollout. Analysis
   * needs are left to the analysis runner (which takes the rollout hooks from rolloutChecks).
   */
  async answer(canary: WebhookCanary, needs: readonly Need[], signal?: AbortSignal): Promise<Answers> {
    const answers: Answers = {};
    await Promise.all(
      needs.map(async (need) => {
        if (need.type === 'gate') {
          const gate = await this.gate(canary, need.webhook, signal);
          answers.gates = { ...answers.gates, [need.webhook]: gate };
        } else if (need.type === 'pre-rollout') {
          answers.preRollout = await this.preRollout(canary, signal);
        }
      }),
    );
    return answers;
  }

  /** A confirm-* gate (open: true) or the rollback trigger (rollback: true). */
  async gate(canary: WebhookCanary, webhook: GateWebhook, signal?: AbortSignal): Promise<{ value: boolean; message: string }> {
    return foldGate(webhook, await this.run(canary, planFor(canary.spec, webhook), signal));
  }

  async preRollout(canary: WebhookCanary, signal?: AbortSignal): Promise<{ ok: boolean; message: string }> {
    return foldPreRollout(await this.run(canary, planFor(canary.spec, 'pre-rollout'), signal));
  }

  /** Calls every rollout hook once, in order; one result each. */
  async rollout(canary: WebhookCanary, signal?: AbortSignal): Promise<WebhookCheckResult[]> {
    return toCheckResults(await this.run(canary, planFor(canary.spec, 'rollout'), signal));
  }

  /**
   * The rollout hooks of a step as metric checks, for the analysis runner to run with the
   * metrics. Empty for an early check: rollout hooks belong to full analysis steps only.
   */
  rolloutChecks(canary: WebhookCanary, need: Extract<Need, { type: 'analysis' }>): MetricCheck[] {
    const plan = planForNeed(canary.spec, need);
    // The analysis runner evaluates its checks at once; each hook still waits for the one
    // before it, so that they run in the order of the spec, as Flagger runs them.
    let previous: Promise<unknown> = Promise.resolve();
    return (plan?.hooks ?? []).map((hook) => ({
      metric: webhookCheckName(hook.name),
      continuous: false,
      evaluate: (signal: AbortSignal): Promise<CheckResult> => {
        const turn = previous.catch(() => undefined).then(async () => {
          signal.throwIfAborted();
          const outcome = await this.callOne(canary, hook, webhookPayload(canary, hook), signal);
          signal.throwIfAborted();
          return toMetricCheckResult(outcome);
        });
        previous = turn;
        return turn;
      },
    }));
  }

  /** Calls every post-rollout hook; failures are reported (logged, returned), never acted on. */
  async postRollout(canary: WebhookCanary, signal?: AbortSignal): Promise<WebhookOutcome[]> {
    return this.run(canary, planFor(canary.spec, 'post-rollout'), signal);
  }

  /** Tells every event hook about an event, in the background. Never throws, never waits. */
  notify(canary: WebhookCanary, event: CanaryEventNotice): void {
    const hooks = planFor(canary.spec, 'event').hooks;
    if (hooks.length === 0 || this.closing.signal.aborted) return;
    const at = this.now();
    for (const hook of hooks) {
      if (this.pending.size >= this.maxPendingEvents) {
        this.metrics.eventsDropped.inc();
        this.logger?.warn({ canary: canaryKey(canary), webhook: hook.name, pending: this.pending.size }, 'event webhook call dropped: too many in flight');
        continue;
      }
      const call = this.callOne(canary, hook, eventPayload(canary, hook, event, at), this.closing.signal)
        .then(() => undefined)
        .catch((err: unknown) => {
          this.logger?.error({ err, canary: canaryKey(canary), webhook: hook.name }, 'event webhook call failed unexpectedly');
        })
        .finally(() => this.pending.delete(call));
      this.pending.add(call);
    }
  }

  /** Event hook calls still in flight. */
  get pendingEvents(): number {
    return this.pending.size;
  }

  /** Aborts event calls in flight and waits for them to end. */
  async close(): Promise<void> {
    this.closing.abort(new Error('webhook runner closed'));
    await Promise.all([...this.pending]);
  }

  private async run(canary: WebhookCanary, plan: WebhookPlan, signal: AbortSignal | undefined): Promise<WebhookOutcome[]> {
    const outcomes: WebhookOutcome[] = [];
    for (const hook of plan.hooks) {
      outcomes.push(await this.callOne(canary, hook, webhookPayload(canary, hook), signal));
      if (signal?.aborted || isDecided(plan.type, outcomes)) break;
    }
    signal?.throwIfAborted();
    return outcomes;
  }

  private async callOne(canary: WebhookCanary, hook: CanaryWebhook, payload: WebhookPayload, signal: AbortSignal | undefined): Promise<WebhookOutcome> {
    const log = this.logger?.child({ canary: canaryKey(canary), webhook: hook.name, type: hook.type });
    const outcome = await callWebhook(hook, payload, {
      http: this.http,
      backoff: this.backoff,
      maxBodyBytes: this.maxBodyBytes,
      userAgent: this.userAgent,
      ...(signal ? { signal } : {}),
      onRetry: (failed, attempt, delayMs) => {
        this.metrics.retries.inc({ type: hook.type });
        log?.info({ attempt, delayMs, failed: describeAttempt(failed) }, 'webhook attempt failed; retrying');
      },
    });
    this.metrics.calls.inc({ type: hook.type, result: callResult(outcome.last, outcome.ok) });
    this.metrics.duration.observe({ type: hook.type }, outcome.durationMs / 1000);
    if (log) logOutcome(log, hook.type, outcome);
    return outcome;
  }
}

function canaryKey(canary: WebhookCanary): string {
  return `${canary.metadata.namespace ?? ''}/${canary.metadata.name ?? ''}`;
}

function callResult(last: WebhookAttempt, ok: boolean): WebhookCallResult {
  if (ok) return 'success';
  switch (last.kind) {
    case 'answered':
      return 'rejected';
    case 'failed':
      return 'error';
    case 'timeout':
      return 'timeout';
    case 'aborted':
      return 'aborted';
  }
}

function describeAttempt(attempt: WebhookAttempt): string {
  switch (attempt.kind) {
    case 'answered':
      return `status ${attempt.status}`;
    case 'failed':
      return attempt.error;
    case 'timeout':
      return `timeout after ${attempt.timeoutMs}ms`;
    case 'aborted':
      return 'aborted';
  }
}

/** A closed gate or an unasked-for rollback is routine; a failing check is worth a warning. */
function logOutcome(log: Logger, type: WebhookType, outcome: WebhookOutcome): void {
  const fields = { ok: outcome.ok, attempts: outcome.attempts, durationMs: outcome.durationMs };
  if (outcome.ok || outcome.last.kind === 'aborted') {
    log.debug(fields, outcome.message);
  } else if (type.startsWith('confirm-') || type === 'rollback') {
    log.info(fields, outcome.message);
  } else {
    log.warn(fields, outcome.message);
  }
}
