import {
  type AttemptOutcome,
  type RetryPolicy,
  isRetryable,
  nextResolveDelay,
  nextRetryDelay,
  outcomeLabel,
  parseRetryAfter,
} from '../../../../operator/notifications/delivery-policy.js';

const policy: RetryPolicy = { maxAttempts: 4, backoff: { initialMs: 1000, maxMs: 5000, factor: 2, jitter: 0.5 }, maxRetryAfterMs: 30_000 };
const now = Date.parse('2026-11-21T10:00:00Z');
const rejected = (status: number, retryAfter?: string): AttemptOutcome => ({ kind: 'rejected', status, ...(retryAfter ? { retryAfter } : {}) });

describe('delivery policy', () => {
  it('retries network errors, timeouts, 408, 429 and 5xx, and nothing else', () => {
    const cases: [AttemptOutcome, boolean, string][] = [
      [{ kind: 'network-error', code: 'ECONNREFUSED', message: 'refused' }, true, 'network'],
      [{ kind: 'timeout' }, true, 'timeout'],
      [rejected(500), true, 'http_5xx'],
      [rejected(503), true, 'http_5xx'],
      [rejected(429), true, 'http_429'],
      [rejected(408), true, 'http_4xx'],
      [rejected(400), false, 'http_4xx'],
      [rejected(404), false, 'http_4xx'],
      [rejected(410), false, 'http_4xx'],
      [rejected(302), false, 'http_3xx'],
      [{ kind: 'delivered', status: 200 }, false, 'delivered'],
    ];
    for (const [outcome, retryable, label] of cases) {
      expect([outcome, isRetryable(outcome), outcomeLabel(outcome)]).toEqual([outcome, retryable, label]);
    }
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('1.', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off exponentially with downward jitter, capped, and gives up after maxAttempts', () => {
    const noJitter = (): number => 0;
    const fullJitter = (): number => 1;
    const outage: AttemptOutcome = rejected(503);
    expect([0, 1, 2].map((attempt) => nextRetryDelay(policy, attempt, outage, now, noJitter))).toEqual([1000, 2000, 4000]);
    expect(nextRetryDelay(policy, 0, outage, now, fullJitter)).toBe(500);
    expect(nextRetryDelay({ ...policy, maxAttempts: 10 }, 5, outage, now, noJitter)).toBe(5000);
    expect(nextRetryDelay(policy, 3, outage, now, noJitter)).toBeUndefined();
    expect(nextRetryDelay(policy, 0, rejected(404), now, noJitter)).toBeUndefined();
  });

  it('waits what Retry-After says instead of the back-off, up to maxRetryAfterMs', () => {
    expect(nextRetryDelay(policy, 0, rejected(429, '12'), now, () => 0)).toBe(12_000);
    expect(nextRetryDelay(policy, 0, rejected(503, '3600'), now, () => 0)).toBe(30_000);
    // Retry-After on a non-retryable answer changes nothing.
    expect(nextRetryDelay(policy, 0, rejected(400, '1'), now, () => 0)).toBeUndefined();
  });

  it('retries provider resolution on the same schedule and attempt budget', () => {
    expect(nextResolveDelay(policy, 0, () => 0)).toBe(1000);
    expect(nextResolveDelay(policy, 3, () => 0)).toBeUndefined();
  });
});
