/** A source of uniform numbers in [0, 1); injected so that decisions are reproducible in tests. */
export type Random = () => number;
