// What webhooks mean, without calling any: which hooks answer which question of the state
// machine, when an answer is known before every hook has been called, and how the calls'
// outcomes fold into one answer. Flagger's semantics throughout:
//
// - confirm-rollout, confirm-traffic-increase, confirm-promotion are gates: open when every
//   hook of the type answers 2xx, closed otherwise (errors and timeouts included). A closed
//   gate holds the rollout and is asked again next interval; it is not a failed check.
// - rollback hooks trigger a rollback when any of them answers 2xx; anything else, errors
//   included, means "no rollback".
// - pre-rollout and rollout hooks are checks: a non-2xx answer or an error after all
//   retries fails them. post-rollout hooks are checks whose failure is only reported.
// - event hooks hear of every event; nobody waits for them.

import { STATUS_CODES } from 'node:http';
import { parseDuration, type CanarySpec, type CanaryWebhook, type WebhookType } from '../../crds/index.js';
import type { CheckResult } from '../../analysis/index.js';
import type { GateWebhook, Need } from './state-machine.js';

/** A webhook's timeout when it sets none (the CRD's documented default). */
export const DEFAULT_WEBHOOK_TIMEOUT = '60s';

/** How the last attempt of a call ended. */
export type WebhookAttempt =
  | { kind: 'answered'; status: number; statusText: string; body: string }
  /** No answer: connection refused or reset, DNS failure, a malformed response. */
  | { kind: 'failed'; error: string }
  | { kind: 'timeout'; timeoutMs: number }
  /** The caller gave up (the operator is stopping); the outcome means nothing. */
  | { kind: 'aborted' };

/** One webhook called, with its retries. */
export interface WebhookOutcome {
  webhook: string;
  type: WebhookType;
  /** The hook answered 2xx. */
  ok: boolean;
  last: WebhookAttempt;
  attempts: number;
  durationMs: number;
  /** The webhook asks not to be alerted on (muteAlert): its failures are events only. */
  muteAlert: boolean;
  /** One clause for status and events, e.g. "load-test answered 503 Service Unavailable: busy (3 attempts)". */
  message: string;
}

/** A rollout hook as a check of an analysis step. */
export interface WebhookCheckResult {
  name: string;
  ok: boolean;
  message: string;
  durationMs: number;
}

/**
 * Which hooks to call for a question. They are called one after the other in the order of
 * the spec, stopping once the answer is known (isDecided), as Flagger does: a load test
 * listed after a failed smoke test never starts. Event hooks are the exception: each hears
 * every event, independently of the others.
 */
export interface WebhookPlan {
  type: WebhookType;
  hooks: CanaryWebhook[];
}

/** Characters of a response body quoted in messages. */
export const BODY_EXCERPT_CHARS = 200;

export function hooksOfType(spec: Pick<CanarySpec, 'analysis'>, type: WebhookType): CanaryWebhook[] {
  return (spec.analysis.webhooks ?? []).filter((hook) => hook.type === type);
}

export function planFor(spec: Pick<CanarySpec, 'analysis'>, type: WebhookType): WebhookPlan {
  return { type, hooks: hooksOfType(spec, type) };
}

/**
 * The webhooks a need of the state machine calls for. An analysis step runs the rollout
 * hooks (they usually drive load); an early check between intervals does not, or a load
 * test would start every two seconds.
 */
export function planForNeed(spec: Pick<CanarySpec, 'analysis'>, need: Need): WebhookPlan | undefined {
  switch (need.type) {
    case 'gate':
      return planFor(spec, need.webhook);
    case 'pre-rollout':
      return planFor(spec, 'pre-rollout');
    case 'analysis':
      return need.early ? undefined : planFor(spec, 'rollout');
  }
}

/** Whether the outcomes so far already decide the answer, so later hooks need not be called. */
export function isDecided(type: WebhookType, outcomes: readonly WebhookOutcome[]): boolean {
  switch (type) {
    case 'confirm-rollout':
    case 'confirm-traffic-increase':
    case 'confirm-promotion':
    case 'pre-rollout':
      return outcomes.some((o) => !o.ok);
    case 'rollback':
      return outcomes.some((o) => o.ok);
    case 'rollout':
    case 'post-rollout':
    case 'event':
      // Every rollout hook reports its own result; post-rollout and event hooks all hear.
      return false;
  }
}

export function webhookTimeoutMs(hook: CanaryWebhook): number {
  return parseDuration(hook.timeout ?? DEFAULT_WEBHOOK_TIMEOUT);
}

export function maxAttempts(hook: CanaryWebhook): number {
  return 1 + Math.max(0, hook.retries ?? 0);
}

export function isSuccess(attempt: WebhookAttempt): boolean {
  return attempt.kind === 'answered' && attempt.status >= 200 && attempt.status < 300;
}

/**
 * Whether another attempt may succeed where this one failed. As Flagger's HTTP client
 * (go-retryablehttp): connection errors, timeouts, 429 and 5xx except 501. A 4xx is the
 * receiver's answer (a closed gate answers 403) and asking again would only delay it.
 */
export function shouldRetry(attempt: WebhookAttempt): boolean {
  switch (attempt.kind) {
    case 'answered':
      return attempt.status === 429 || (attempt.status >= 500 && attempt.status !== 501);
    case 'failed':
    case 'timeout':
      return true;
    case 'aborted':
      return false;
  }
}

/** A body as a message quotes it: one line, at most BODY_EXCERPT_CHARS characters. */
export function bodyExcerpt(body: string, maxChars = BODY_EXCERPT_CHARS): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line;
}

export function outcomeMessage(name: string, attempt: WebhookAttempt, attempts: number): string {
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  switch (attempt.kind) {
    case 'answered': {
      const text = attempt.statusText || STATUS_CODES[attempt.status] || '';
      const excerpt = bodyExcerpt(attempt.body);
      return `${name} answered ${attempt.status}${text ? ` ${text}` : ''}${excerpt ? `: ${excerpt}` : ''}${tries}`;
    }
    case 'failed':
      return `${name} could not be called: ${attempt.error}${tries}`;
    case 'timeout':
      return `${name} did not answer within ${formatMs(attempt.timeoutMs)}${tries}`;
    case 'aborted':
      return `${name}: call cancelled`;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** A gate's answer in the shape of the state machine's Answers.gates. */
export function foldGate(webhook: GateWebhook, outcomes: readonly WebhookOutcome[]): { value: boolean; message: string } {
  if (webhook === 'rollback') {
    const trigger = outcomes.find((o) => o.ok);
    if (trigger) return { value: true, message: trigger.message };
    return { value: false, message: outcomes.length === 0 ? 'no rollback webhooks' : `no rollback requested: ${joinMessages(outcomes)}` };
  }
  const closed = outcomes.filter((o) => !o.ok);
  if (closed.length > 0) return { value: false, message: joinMessages(closed) };
  return { value: true, message: outcomes.length === 0 ? `no ${webhook} webhooks` : joinMessages(outcomes) };
}

/** The pre-rollout answer in the shape of the state machine's Answers.preRollout. */
export function foldPreRollout(outcomes: readonly WebhookOutcome[]): { ok: boolean; message: string } {
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) return { ok: false, message: joinMessages(failed) };
  return { ok: true, message: outcomes.length === 0 ? 'no pre-rollout webhooks' : joinMessages(outcomes) };
}

export function toCheckResults(outcomes: readonly WebhookOutcome[]): WebhookCheckResult[] {
  return outcomes.map((o) => ({ name: o.webhook, ok: o.ok, message: o.message, durationMs: o.durationMs }));
}

/** status.analysisResults[].metric holds at most 128 characters. */
const METRIC_NAME_LIMIT = 128;

/** The name a rollout hook's result carries among the metric checks of a step. */
export function webhookCheckName(name: string): string {
  return `webhook/${name}`.slice(0, METRIC_NAME_LIMIT);
}

/**
 * A rollout hook's outcome as a metric check's result, so that the analysis runner folds
 * it into the step like any metric: a refusal fails the check, no answer is an error
 * (which the runner counts as a failure too, as Flagger does).
 */
export function toMetricCheckResult(outcome: WebhookOutcome): CheckResult {
  const verdict = outcome.ok ? 'pass' : outcome.last.kind === 'answered' ? 'fail' : 'error';
  return { metric: webhookCheckName(outcome.webhook), verdict, values: {}, reason: outcome.message };
}

function joinMessages(outcomes: readonly WebhookOutcome[]): string {
  return outcomes.map((o) => o.message).join('; ');
}
