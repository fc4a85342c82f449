// Weighted split between a rule's backends, decided per request.
import type { Random } from './random.js';

export interface WeightedChoice {
  readonly name: string;
  readonly weight: number;
}

/**
 * Picks one entry with probability weight / total. Entries of weight 0 are never picked.
 * With integer weights up to 100000 the shares are exact to 0.001%, well past the 0.1% that
 * canary steps need.
 */
export function pickWeighted(choices: readonly WeightedChoice[], random: Random): string {
  let total = 0;
  for (const c of choices) total += c.weight;
  let point = random() * total;
  let last: string | undefined;
  for (const c of choices) {
    if (c.weight <= 0) continue;
    if (point < c.weight) return c.name;
    point -= c.weight;
    last = c.name;
  }
  // Floating-point leftovers land on the last entry that has weight.
  if (last === undefined) throw new Error('pickWeighted: no entry has a positive weight');
  return last;
}
