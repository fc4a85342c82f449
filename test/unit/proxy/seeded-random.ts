// Deterministic randomness for the proxy's unit tests.
import { mulberry32 } from '../analysis/prng.js';

/** Deterministic uniform numbers (mulberry32, shared with the analysis tests). */
export const seededRandom = mulberry32;

/** Returns the given values in turn (cycling), for decisions that need exact draws. */
export function scriptedRandom(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}
