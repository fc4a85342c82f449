import {
  ErrorRateEvidence,
  bernoulliLogLikelihoodRatio,
  errorRateSequentialTest,
  sprtDecide,
  waldBoundaries,
  type PairedRateCounts,
} from '../../../analysis/stats/sequential-rate-test.js';
import { binomial, mulberry32 } from './prng.js';

describe("Wald's SPRT boundaries and decisions against published values", () => {
  it('A = (1 − β)/α and B = β/(1 − α)', () => {
    // Wald, "Sequential Tests of Statistical Hypotheses", Ann. Math. Statist. 16 (1945): continue
    // while B < likelihood ratio < A, with A = (1 − β)/α and B = β/(1 − α); for α = 0.05 and
    // β = 0.2 that is A = 16 and B = 0.2105.
    const b = waldBoundaries(0.05, 0.2);
    expect(b.upper).toBeCloseTo(16, 12);
    expect(b.lower).toBeCloseTo(0.2 / 0.95, 12);
    expect(b.lower.toFixed(4)).toBe('0.2105');
    // β = 0 is the one-sided test the compare judge uses: reject at 1/α, never accept.
    expect(waldBoundaries(0.01, 0).upper).toBeCloseTo(100, 9);
    expect(waldBoundaries(0.01, 0).lower).toBe(0);
  });

  it('reproduces the NIST/SEMATECH e-Handbook sequential sampling plan (h1 = .939, h2 = 1.205, s = .0397)', () => {
    // NIST/SEMATECH e-Handbook of Statistical Methods, chapter 6.2 (lot acceptance sampling),
    // "What is Sequential Sampling?":
    // p1 (AQL) = 0.01, p2 (LTPD) = 0.10, α = 0.05, β = 0.10 give the acceptance line
    // d = −h1 + s·n and the rejection line d = h2 + s·n with h1 = 0.939, h2 = 1.205, s = 0.0397;
    // the first sample size at which a lot can be accepted (with 0 defectives) is n = 24.
    const [p1, p2, alpha, beta] = [0.01, 0.1, 0.05, 0.1];
    const bounds = waldBoundaries(alpha, beta);
    const k = Math.log((p2 * (1 - p1)) / (p1 * (1 - p2)));
    expect((-Math.log(bounds.lower) / k).toFixed(3)).toBe('0.939');
    expect((Math.log(bounds.upper) / k).toFixed(3)).toBe('1.205');
    expect((Math.log((1 - p1) / (1 - p2)) / k).toFixed(4)).toBe('0.0397');

    const decide = (n: number, defectives: number): string => sprtDecide(bernoulliLogLikelihoodRatio(defectives, n - defectives, p1, p2), bounds);
    expect(decide(23, 0)).toBe('continue');
    expect(decide(24, 0)).toBe('accept-null');
    expect(decide(2, 2)).toBe('reject-null');
    expect(decide(19, 2)).toBe('reject-null');
    expect(decide(20, 2)).toBe('continue');
    expect(decide(20, 3)).toBe('reject-null');
  });
});

function tick(canaryRequests: number, canaryErrors: number, primaryRequests: number, primaryErrors: number): PairedRateCounts {
  return { canary: { requests: canaryRequests, errors: canaryErrors }, primary: { requests: primaryRequests, errors: primaryErrors } };
}

describe('sequential error-rate test', () => {
  const settings = { alpha: 0.01, maxRelativeDegradation: 0.1 };

  it('has no evidence without errors, or when only one side served traffic', () => {
    expect(errorRateSequentialTest([tick(1000, 0, 1000, 0)], settings).likelihoodRatio).toBe(1);
    expect(errorRateSequentialTest([tick(1000, 50, 0, 0)], settings).likelihoodRatio).toBe(1);
    expect(errorRateSequentialTest([], settings).reject).toBe(false);
  });

  it('fails a canary whose every error is its own when the evidence passes 1/alpha', () => {
    // Equal traffic, psi0 = 1.1: each canary-only error multiplies the best component by at
    // most 1/pi0 = 2.1/1.1; ten of them are clear evidence, two are not.
    expect(errorRateSequentialTest([tick(100, 2, 100, 0)], settings).reject).toBe(false);
    const clear = errorRateSequentialTest([tick(100, 10, 100, 0)], settings);
    expect(clear.reject).toBe(true);
    expect(clear.likelihoodRatio).toBeGreaterThanOrEqual(100);
    expect(clear.threshold).toBeCloseTo(100, 9);
  });

  it('does not fail a canary that is worse by less than the allowed degradation, however much traffic', () => {
    // 1.05× the primary's error rate with 10% allowed: the data push the evidence down.
    const data = [tick(10_000_000, 105_000, 10_000_000, 100_000)];
    const result = errorRateSequentialTest(data, { alpha: 0.01, maxRelativeDegradation: 0.1 });
    expect(result.reject).toBe(false);
    expect(result.logLikelihoodRatio).toBeLessThan(0);
    // The same data (z ≈ 11) fail when no degradation at all is allowed.
    expect(errorRateSequentialTest(data, { alpha: 0.01, maxRelativeDegradation: 0 }).reject).toBe(true);
  });

  it('accounts for unequal traffic: 10% canary weight with proportional errors is not evidence', () => {
    const result = errorRateSequentialTest([tick(100, 1, 900, 9)], settings);
    expect(result.logLikelihoodRatio).toBeLessThan(0);
  });
});

describe('sequential error-rate test properties (seeded)', () => {
  /** Runs one canary for `seconds` ticks; returns the tick at which it failed, or undefined. */
  function run(random: () => number, seconds: number, canaryRate: number, primaryRate: number, perSecond: number, alpha: number, delta: number): number | undefined {
    const evidence = new ErrorRateEvidence({ alpha, maxRelativeDegradation: delta });
    for (let s = 1; s <= seconds; s++) {
      evidence.add(tick(perSecond, binomial(random, perSecond, canaryRate), perSecond, binomial(random, perSecond, primaryRate)));
      if (evidence.result().reject) return s;
    }
    return undefined;
  }

  it('identical error rates rarely fail, even when checked every second for five minutes', () => {
    const random = mulberry32(1);
    let failures = 0;
    for (let r = 0; r < 200; r++) if (run(random, 300, 0.01, 0.01, 50, 0.05, 0) !== undefined) failures++;
    // Ville's inequality bounds the rate by alpha = 5% (10 of 200) even with no allowed degradation.
    expect(failures).toBeLessThanOrEqual(10);
  });

  it('a canary exactly at the allowed degradation fails no more often than alpha allows', () => {
    // The hardest case for the guarantee: the canary is 1.5× worse with 50% allowed.
    const random = mulberry32(2);
    let failures = 0;
    for (let r = 0; r < 200; r++) if (run(random, 300, 0.03, 0.02, 50, 0.05, 0.5) !== undefined) failures++;
    expect(failures).toBeLessThanOrEqual(10);
  });

  it('a 10× error rate fails quickly', () => {
    const random = mulberry32(3);
    const failedAt: number[] = [];
    for (let r = 0; r < 100; r++) failedAt.push(run(random, 120, 0.02, 0.002, 100, 0.01, 0.1) ?? Infinity);
    failedAt.sort((a, b) => a - b);
    expect(failedAt[failedAt.length - 1]).toBeLessThan(Infinity);
    // Median within 10 s at 100 req/s per side (2 canary errors per second).
    expect(failedAt[49]).toBeLessThanOrEqual(10);
  });
});
