// Seeded randomness for property and simulation tests: the same seed gives the same runs, so a
// failure is reproducible and a pass is not luck of the day.

/** mulberry32: a small, fast 32-bit generator with good equidistribution for simulations. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binomial(n, p) by inversion of the CDF; exact, and fast for the small n·p of error counts. */
export function binomial(random: () => number, n: number, p: number): number {
  if (p <= 0 || n <= 0) return 0;
  if (p >= 1) return n;
  const u = random();
  const odds = p / (1 - p);
  let pk = Math.pow(1 - p, n);
  let cdf = pk;
  let k = 0;
  while (u > cdf && k < n) {
    pk *= ((n - k) / (k + 1)) * odds;
    k++;
    cdf += pk;
  }
  return k;
}

/** Poisson(lambda) by inversion of the CDF: one uniform per draw (lambda up to a few hundred). */
export function poisson(random: () => number, lambda: number): number {
  const u = random();
  let p = Math.exp(-lambda);
  let cdf = p;
  let k = 0;
  while (u > cdf && p > 0) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

/** Log-normal draw: exp(mu + sigma Z), Z standard normal by Box–Muller. */
export function logNormal(random: () => number, mu: number, sigma: number): number {
  const u1 = 1 - random();
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.exp(mu + sigma * z);
}
