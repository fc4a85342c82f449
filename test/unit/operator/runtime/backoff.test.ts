import { backoffDelay, DEFAULT_RETRY_BACKOFF } from '../../../../operator/runtime/backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const delays = [0, 1, 2, 3, 4].map((n) => backoffDelay({ initialMs: 5, maxMs: 60 }, n));
    expect(delays).toEqual([5, 10, 20, 40, 60]);
  });

  it('reaches the 5 minute cap of the default policy and stays there, even after many failures', () => {
    expect(backoffDelay(DEFAULT_RETRY_BACKOFF, 0)).toBe(5);
    expect(backoffDelay(DEFAULT_RETRY_BACKOFF, 15)).toBe(5 * 2 ** 15);
    expect(backoffDelay(DEFAULT_RETRY_BACKOFF, 16)).toBe(300_000);
    expect(backoffDelay(DEFAULT_RETRY_BACKOFF, 5000)).toBe(300_000);
  });

  it('randomizes downwards by at most the jitter share', () => {
    const policy = { initialMs: 1000, maxMs: 1000, jitter: 0.5 };
    expect(backoffDelay(policy, 0, () => 0)).toBe(1000);
    expect(backoffDelay(policy, 0, () => 0.999999)).toBe(500);
    expect(backoffDelay(policy, 0, () => 0.5)).toBe(750);
  });
});
