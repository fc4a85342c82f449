// A sequential test of "the canary fails more often than the primary", safe to evaluate after
// every tick of live counters.
//
// Model. Within a tick, requests to either backend fail independently at rates p_c (canary)
// and p_p (primary). Conditional on the errors seen in the tick, each error belongs to the
// canary with probability pi(psi) = n_c psi / (n_c psi + n_p), where psi = p_c / p_p is the
// rate ratio: exact when errors arrive as Poisson processes, and for binomial counts at the
// null of equal rates the conditional law is less spread than this, which only makes the test
// more conservative. Conditioning removes the unknown primary rate (the nuisance parameter),
// and error-free requests carry no information about a *relative* degradation, so a stream
// of errors is all the test looks at.
//
// Test. H0: psi <= psi0 = 1 + maxRelativeDegradation (the canary is at most that much worse),
// against psi > psi0. For any fixed alternative psi1 > psi0 the likelihood ratio of the error
// stream, prod_t pi1^e_c (1-pi1)^e_p / (pi0^e_c (1-pi0)^e_p), is a non-negative supermartingale
// with mean 1 under H0 (Wald's SPRT statistic), and so is any average of such ratios over a
// prior on psi1 (the mixture SPRT of Robbins, used for A/B tests by Johari et al., "Always Valid
// Inference", 2017). By Ville's inequality P_H0(sup_t ratio >= 1/alpha) <= alpha: the canary
// may be looked at every second for as long as it runs and is still wrongly failed with
// probability at most alpha. That is Wald's upper boundary A = (1 - beta)/alpha with beta = 0:
// the test has power one against any psi > psi0 and never "accepts" the canary; a canary
// passes an analysis step by running it to the end without the evidence reaching 1/alpha.

/** Wald's SPRT decision thresholds on the likelihood ratio (Wald, Sequential Analysis, 1947). */
export interface WaldBoundaries {
  /** Reject H0 when the likelihood ratio reaches A = (1 - beta) / alpha. */
  upper: number;
  /** Accept H0 when the likelihood ratio falls to B = beta / (1 - alpha). */
  lower: number;
}

export function waldBoundaries(alpha: number, beta: number): WaldBoundaries {
  if (!(alpha > 0 && alpha < 1) || !(beta >= 0 && beta < 1)) throw new Error(`need 0 < alpha < 1 and 0 <= beta < 1, got alpha=${alpha} beta=${beta}`);
  return { upper: (1 - beta) / alpha, lower: beta / (1 - alpha) };
}

export type SprtDecision = 'reject-null' | 'accept-null' | 'continue';

export function sprtDecide(logLikelihoodRatio: number, boundaries: WaldBoundaries): SprtDecision {
  if (logLikelihoodRatio >= Math.log(boundaries.upper)) return 'reject-null';
  if (boundaries.lower > 0 && logLikelihoodRatio <= Math.log(boundaries.lower)) return 'accept-null';
  return 'continue';
}

/** Log likelihood ratio of `successes` and `failures` among Bernoulli trials under p1 against p0. */
export function bernoulliLogLikelihoodRatio(successes: number, failures: number, p0: number, p1: number): number {
  let llr = 0;
  if (successes > 0) llr += successes * (Math.log(p1) - Math.log(p0));
  if (failures > 0) llr += failures * (Math.log1p(-p1) - Math.log1p(-p0));
  return llr;
}

export interface RateCounts {
  requests: number;
  errors: number;
}

/** Counts of one tick (or one window), canary and primary over the same span of time. */
export interface PairedRateCounts {
  canary: RateCounts;
  primary: RateCounts;
}

export interface ErrorRateTestOptions {
  /** Probability of wrongly failing a canary that is not worse than allowed: 1 - confidence. */
  alpha: number;
  /** Allowed relative increase of the error rate: 0.1 lets the canary fail 10% more often. */
  maxRelativeDegradation: number;
  /**
   * Alternatives psi1 / psi0 mixed with equal weight. The default spans a barely-worse canary
   * to a broken one, so that large effects are caught within seconds and small ones eventually.
   */
  alternativeMultipliers?: readonly number[];
}

export const DEFAULT_ALTERNATIVE_MULTIPLIERS: readonly number[] = [1.05, 1.1, 1.25, 1.5, 2, 3, 5, 10, 30, 100];

export interface ErrorRateTestResult {
  /** Natural log of the mixture likelihood ratio (the evidence against H0). */
  logLikelihoodRatio: number;
  /** The mixture likelihood ratio, capped at Number.MAX_VALUE for display. */
  likelihoodRatio: number;
  /** 1/alpha: the canary is failed when the evidence reaches it. */
  threshold: number;
  reject: boolean;
  canary: RateCounts;
  primary: RateCounts;
}

function logSumExp(values: number[]): number {
  const max = Math.max(...values);
  if (!Number.isFinite(max)) return max;
  let total = 0;
  for (const v of values) total += Math.exp(v - max);
  return max + Math.log(total);
}

function clampCounts(c: RateCounts): RateCounts {
  const requests = Math.max(0, c.requests);
  return { requests, errors: Math.min(Math.max(0, c.errors), requests) };
}

/**
 * The test as a running state, fed one tick at a time: the cost of a new tick does not grow
 * with the length of the window, so the judge can be evaluated every second.
 */
export class ErrorRateEvidence {
  private readonly psi0: number;
  private readonly multipliers: readonly number[];
  private readonly componentLlr: number[];
  private readonly totals = { canary: { requests: 0, errors: 0 }, primary: { requests: 0, errors: 0 } };

  constructor(private readonly options: ErrorRateTestOptions) {
    const { alpha, maxRelativeDegradation } = options;
    if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be in (0, 1), got ${alpha}`);
    if (!(maxRelativeDegradation >= 0)) throw new Error(`maxRelativeDegradation must be >= 0, got ${maxRelativeDegradation}`);
    this.multipliers = options.alternativeMultipliers ?? DEFAULT_ALTERNATIVE_MULTIPLIERS;
    if (this.multipliers.length === 0 || this.multipliers.some((m) => !(m > 1))) throw new Error('alternative multipliers must all be > 1');
    this.psi0 = 1 + maxRelativeDegradation;
    this.componentLlr = this.multipliers.map(() => 0);
  }

  add(sample: PairedRateCounts): void {
    const c = clampCounts(sample.canary);
    const p = clampCounts(sample.primary);
    const { canary, primary } = this.totals;
    canary.requests += c.requests;
    canary.errors += c.errors;
    primary.requests += p.requests;
    primary.errors += p.errors;
    // With either side idle, every error of the tick belongs to the other side under every
    // hypothesis: no evidence either way.
    if (c.requests === 0 || p.requests === 0 || c.errors + p.errors === 0) return;
    const pi0 = (c.requests * this.psi0) / (c.requests * this.psi0 + p.requests);
    for (let k = 0; k < this.multipliers.length; k++) {
      const psi1 = this.psi0 * (this.multipliers[k] as number);
      const pi1 = (c.requests * psi1) / (c.requests * psi1 + p.requests);
      this.componentLlr[k] = (this.componentLlr[k] as number) + bernoulliLogLikelihoodRatio(c.errors, p.errors, pi0, pi1);
    }
  }

  result(): ErrorRateTestResult {
    const logLikelihoodRatio = logSumExp(this.componentLlr) - Math.log(this.multipliers.length);
    const boundaries = waldBoundaries(this.options.alpha, 0);
    return {
      logLikelihoodRatio,
      likelihoodRatio: Math.min(Math.exp(logLikelihoodRatio), Number.MAX_VALUE),
      threshold: boundaries.upper,
      reject: sprtDecide(logLikelihoodRatio, boundaries) === 'reject-null',
      canary: { ...this.totals.canary },
      primary: { ...this.totals.primary },
    };
  }
}

export function errorRateSequentialTest(samples: readonly PairedRateCounts[], options: ErrorRateTestOptions): ErrorRateTestResult {
  const evidence = new ErrorRateEvidence(options);
  for (const sample of samples) evidence.add(sample);
  return evidence.result();
}
