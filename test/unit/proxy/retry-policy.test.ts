import { RetryBudget, backoffDelay, isRetriable, isStaleConnectionReplay, parseRetryOn, shouldRetry } from '../../../proxy/retry-policy.js';
import { scriptedRandom } from './seeded-random.js';

describe('retry conditions', () => {
  it('defaults to connect failures, resets, per-try timeouts and 503', () => {
    const c = parseRetryOn();
    expect(isRetriable({ failure: 'connect-failure' }, c)).toBe(true);
    expect(isRetriable({ failure: 'reset' }, c)).toBe(true);
    expect(isRetriable({ failure: 'timeout' }, c)).toBe(true);
    expect(isRetriable({ status: 503 }, c)).toBe(true);
    expect(isRetriable({ status: 500 }, c)).toBe(false);
    expect(isRetriable({ status: 200 }, c)).toBe(false);
  });

  it('understands 5xx, gateway-error and explicit codes', () => {
    expect(isRetriable({ status: 500 }, parseRetryOn(['5xx']))).toBe(true);
    expect(isRetriable({ failure: 'reset' }, parseRetryOn(['5xx']))).toBe(true);
    expect(isRetriable({ status: 500 }, parseRetryOn(['gateway-error']))).toBe(false);
    expect(isRetriable({ status: 504 }, parseRetryOn(['gateway-error']))).toBe(true);
    expect(isRetriable({ status: 429 }, parseRetryOn(['429']))).toBe(true);
    expect(isRetriable({ failure: 'reset' }, parseRetryOn(['connect-failure']))).toBe(false);
  });

  it('retries only replayable requests with attempts left', () => {
    const q = { outcome: { status: 503 }, conditions: parseRetryOn(), retriesDone: 0, maxRetries: 2, replayable: true };
    expect(shouldRetry(q)).toBe(true);
    expect(shouldRetry({ ...q, replayable: false })).toBe(false);
    expect(shouldRetry({ ...q, retriesDone: 2 })).toBe(false);
    expect(shouldRetry({ ...q, outcome: { status: 404 } })).toBe(false);
  });

  it('replays once a request that hit a stale keep-alive connection', () => {
    expect(isStaleConnectionReplay('reset', true, true, false)).toBe(true);
    expect(isStaleConnectionReplay('reset', true, true, true)).toBe(false);
    expect(isStaleConnectionReplay('reset', false, true, false)).toBe(false);
    expect(isStaleConnectionReplay('reset', true, false, false)).toBe(false);
    expect(isStaleConnectionReplay('connect-failure', true, true, false)).toBe(false);
  });
});

describe('backoff', () => {
  it('is full-jitter exponential with a cap of ten times the base', () => {
    expect(backoffDelay(1, 25, () => 0.999)).toBe(24);
    expect(backoffDelay(2, 25, () => 0.999)).toBe(49);
    expect(backoffDelay(3, 25, () => 0.5)).toBe(50);
    expect(backoffDelay(10, 25, () => 0.999)).toBe(249);
    expect(backoffDelay(1, 25, scriptedRandom(0))).toBe(0);
  });
});

describe('RetryBudget', () => {
  it('allows the minimum concurrency whatever the load', () => {
    const b = new RetryBudget(20, 2);
    expect([b.tryAcquireRetry(), b.tryAcquireRetry(), b.tryAcquireRetry()]).toEqual([true, true, false]);
    b.releaseRetry();
    expect(b.tryAcquireRetry()).toBe(true);
  });

  it('scales with requests in flight', () => {
    const b = new RetryBudget(20, 0);
    b.activeRequests = 50;
    let granted = 0;
    while (b.tryAcquireRetry()) granted++;
    expect(granted).toBe(10);
    b.configure(50, 0);
    expect(b.tryAcquireRetry()).toBe(true);
  });

  it('never goes negative', () => {
    const b = new RetryBudget(0, 1);
    b.releaseRetry();
    expect(b.activeRetries).toBe(0);
  });
});
