// What every judge returns: a verdict, the numbers it was based on, and a sentence for the
// Canary's status that a person on call can act on.

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface Judgement {
  verdict: Verdict;
  /** Measured values by name (finite numbers only, so that status stays valid JSON). */
  values: Record<string, number>;
  /** One human-readable sentence explaining the verdict. */
  reason: string;
}

/** Orders verdicts by severity: a fail outweighs an inconclusive, which outweighs a pass. */
export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.includes('inconclusive')) return 'inconclusive';
  return 'pass';
}

/** Drops non-finite values (NaN, ±Infinity have no JSON form and mean "not measured" here). */
export function finiteValues(values: Record<string, number | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && Number.isFinite(value)) out[key] = value;
  }
  return out;
}
