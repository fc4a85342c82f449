import type { CanarySpec, CanaryWebhook, WebhookType } from '../../../../crds/index.js';
import {
  bodyExcerpt,
  foldGate,
  foldPreRollout,
  isDecided,
  maxAttempts,
  outcomeMessage,
  planForNeed,
  shouldRetry,
  toCheckResults,
  toMetricCheckResult,
  webhookCheckName,
  webhookTimeoutMs,
  type WebhookAttempt,
  type WebhookOutcome,
} from '../../../../operator/canary/webhook-plan.js';

const hook = (name: string, type: WebhookType, extra: Partial<CanaryWebhook> = {}): CanaryWebhook => ({ name, type, url: `http://hooks.test/${name}`, ...extra });

const spec = (webhooks: CanaryWebhook[]): Pick<CanarySpec, 'analysis'> => ({ analysis: { interval: '1m', threshold: 5, stepWeight: 10, webhooks } });

const answered = (status: number, body = '', statusText = ''): WebhookAttempt => ({ kind: 'answered', status, statusText, body });

function outcome(name: string, type: WebhookType, last: WebhookAttempt, attempts = 1): WebhookOutcome {
  const ok = last.kind === 'answered' && last.status >= 200 && last.status < 300;
  return { webhook: name, type, ok, last, attempts, durationMs: 12, muteAlert: false, message: outcomeMessage(name, last, attempts) };
}

describe('planning webhook calls', () => {
  const all = spec([
    hook('approve', 'confirm-rollout'),
    hook('smoke', 'pre-rollout'),
    hook('load', 'rollout'),
    hook('approve-too', 'confirm-rollout'),
    hook('check', 'rollout'),
    hook('kill-switch', 'rollback'),
    hook('audit', 'event'),
  ]);

  it('calls the hooks of the type a need asks about, in the order of the spec', () => {
    expect(planForNeed(all, { type: 'gate', webhook: 'confirm-rollout' })?.hooks.map((h) => h.name)).toEqual(['approve', 'approve-too']);
    expect(planForNeed(all, { type: 'gate', webhook: 'rollback' })?.hooks.map((h) => h.name)).toEqual(['kill-switch']);
    expect(planForNeed(all, { type: 'gate', webhook: 'confirm-promotion' })?.hooks).toEqual([]);
    expect(planForNeed(all, { type: 'pre-rollout' })?.hooks.map((h) => h.name)).toEqual(['smoke']);
  });

  it('runs rollout hooks with full analysis steps, never with early checks', () => {
    expect(planForNeed(all, { type: 'analysis', windowStart: '2026-11-21T10:00:00Z', early: false })).toEqual({
      type: 'rollout',
      hooks: [hook('load', 'rollout'), hook('check', 'rollout')],
    });
    expect(planForNeed(all, { type: 'analysis', windowStart: '2026-11-21T10:00:00Z', early: true })).toBeUndefined();
  });

  it('stops calling once the answer is known', () => {
    const open = outcome('a', 'confirm-promotion', answered(200));
    const closed = outcome('b', 'confirm-promotion', answered(403));
    expect(isDecided('confirm-promotion', [open])).toBe(false);
    expect(isDecided('confirm-promotion', [open, closed])).toBe(true);
    expect(isDecided('confirm-traffic-increase', [outcome('t', 'confirm-traffic-increase', { kind: 'timeout', timeoutMs: 1000 })])).toBe(true);
    expect(isDecided('pre-rollout', [outcome('s', 'pre-rollout', answered(500))])).toBe(true);
    expect(isDecided('pre-rollout', [outcome('s', 'pre-rollout', answered(204))])).toBe(false);
    expect(isDecided('rollback', [outcome('k', 'rollback', answered(404))])).toBe(false);
    expect(isDecided('rollback', [outcome('k', 'rollback', answered(200))])).toBe(true);
    // Every rollout hook reports, and every post-rollout hook hears, whatever the others said.
    expect(isDecided('rollout', [outcome('l', 'rollout', answered(500))])).toBe(false);
    expect(isDecided('post-rollout', [outcome('p', 'post-rollout', { kind: 'failed', error: 'ECONNREFUSED' })])).toBe(false);
  });

  it('gives each hook its timeout (60s by default) and 1 + retries attempts', () => {
    expect(webhookTimeoutMs(hook('a', 'rollout'))).toBe(60_000);
    expect(webhookTimeoutMs(hook('a', 'rollout', { timeout: '1m30s' }))).toBe(90_000);
    expect(maxAttempts(hook('a', 'rollout'))).toBe(1);
    expect(maxAttempts(hook('a', 'rollout', { retries: 3 }))).toBe(4);
  });

  it.each([
    [answered(403), false],
    [answered(404), false],
    [answered(400), false],
    [answered(429), true],
    [answered(500), true],
    [answered(501), false],
    [answered(502), true],
    [answered(503), true],
    [{ kind: 'failed', error: 'connect ECONNREFUSED 127.0.0.1:9' } as const, true],
    [{ kind: 'timeout', timeoutMs: 1000 } as const, true],
    [{ kind: 'aborted' } as const, false],
  ])('retries %j: %s', (attempt, retry) => {
    expect(shouldRetry(attempt)).toBe(retry);
  });
});

describe('folding outcomes into answers', () => {
  it('opens a confirm gate only when every hook answers 2xx', () => {
    expect(foldGate('confirm-rollout', [outcome('a', 'confirm-rollout', answered(200)), outcome('b', 'confirm-rollout', answered(202))])).toEqual({
      value: true,
      message: 'a answered 200 OK; b answered 202 Accepted',
    });
    expect(foldGate('confirm-rollout', [outcome('a', 'confirm-rollout', answered(200)), outcome('b', 'confirm-rollout', answered(403, 'gate closed\n'))])).toEqual({
      value: false,
      message: 'b answered 403 Forbidden: gate closed',
    });
    // No answer at all keeps the gate closed: approval must be given, not assumed.
    expect(foldGate('confirm-promotion', [outcome('a', 'confirm-promotion', { kind: 'failed', error: 'getaddrinfo ENOTFOUND gate' })])).toEqual({
      value: false,
      message: 'a could not be called: getaddrinfo ENOTFOUND gate',
    });
    expect(foldGate('confirm-traffic-increase', [])).toEqual({ value: true, message: 'no confirm-traffic-increase webhooks' });
  });

  it('triggers a rollback when any rollback hook answers 2xx, and only then', () => {
    expect(foldGate('rollback', [outcome('a', 'rollback', answered(404)), outcome('b', 'rollback', answered(200, 'abort!'))])).toEqual({
      value: true,
      message: 'b answered 200 OK: abort!',
    });
    const quiet = foldGate('rollback', [outcome('a', 'rollback', answered(404)), outcome('b', 'rollback', { kind: 'timeout', timeoutMs: 5000 }, 2)]);
    expect(quiet).toEqual({ value: false, message: 'no rollback requested: a answered 404 Not Found; b did not answer within 5s (2 attempts)' });
    expect(foldGate('rollback', []).value).toBe(false);
  });

  it('fails pre-rollout on any refusal or error, saying which hook and why', () => {
    expect(foldPreRollout([outcome('smoke', 'pre-rollout', answered(200)), outcome('db', 'pre-rollout', answered(500, 'migration failed', 'Internal Server Error'), 3)])).toEqual({
      ok: false,
      message: 'db answered 500 Internal Server Error: migration failed (3 attempts)',
    });
    expect(foldPreRollout([outcome('smoke', 'pre-rollout', answered(200))])).toEqual({ ok: true, message: 'smoke answered 200 OK' });
    expect(foldPreRollout([])).toEqual({ ok: true, message: 'no pre-rollout webhooks' });
  });

  it('turns rollout hooks into check results', () => {
    const outcomes = [outcome('load', 'rollout', answered(200)), outcome('check', 'rollout', answered(502), 2), outcome('slow', 'rollout', { kind: 'timeout', timeoutMs: 250 })];
    expect(toCheckResults(outcomes)).toEqual([
      { name: 'load', ok: true, message: 'load answered 200 OK', durationMs: 12 },
      { name: 'check', ok: false, message: 'check answered 502 Bad Gateway (2 attempts)', durationMs: 12 },
      { name: 'slow', ok: false, message: 'slow did not answer within 250ms', durationMs: 12 },
    ]);
    // A refusal is a failed check; no answer is an error (which the analysis counts as failed).
    expect(outcomes.map(toMetricCheckResult).map((r) => [r.metric, r.verdict])).toEqual([
      ['webhook/load', 'pass'],
      ['webhook/check', 'fail'],
      ['webhook/slow', 'error'],
    ]);
    expect(webhookCheckName('x'.repeat(128))).toHaveLength(128);
  });
});

describe('messages', () => {
  it('quote a bounded, one-line excerpt of the body', () => {
    expect(bodyExcerpt('  line one\n\tline two  ')).toBe('line one line two');
    const long = bodyExcerpt('a'.repeat(10_000));
    expect(long).toHaveLength(200);
    expect(long.endsWith('…')).toBe(true);
    const message = outcomeMessage('load', answered(503, 'b'.repeat(5_000), 'Service Unavailable'), 4);
    expect(message.length).toBeLessThan(260);
    expect(message).toMatch(/^load answered 503 Service Unavailable: b+… \(4 attempts\)$/);
  });

  it('say what happened when there was no answer', () => {
    expect(outcomeMessage('gate', { kind: 'failed', error: 'connect ECONNREFUSED 127.0.0.1:9' }, 1)).toBe('gate could not be called: connect ECONNREFUSED 127.0.0.1:9');
    expect(outcomeMessage('gate', { kind: 'timeout', timeoutMs: 60_000 }, 3)).toBe('gate did not answer within 60s (3 attempts)');
    expect(outcomeMessage('gate', { kind: 'aborted' }, 1)).toBe('gate: call cancelled');
    expect(outcomeMessage('gate', answered(299), 1)).toBe('gate answered 299');
  });
});
