// Deterministic uniform numbers for tests (mulberry32).
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns the given values in turn (cycling), for decisions that need exact draws. */
export function scriptedRandom(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}
