// Durations in our CRDs are Go duration strings ("30s", "1m30s", "1.5h", "250ms"), as in
// Flagger. The API server checks them with DURATION_PATTERN and CEL's duration(), which is
// Go's time.ParseDuration; parseDuration accepts exactly the strings that pass both, with
// the same meaning, so that the operator never disagrees with the API server.

/** Units in the order Go's time.ParseDuration knows them, with their length in milliseconds. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * What the API server accepts as a duration: "0", or one or more decimal numbers each with
 * a unit. Stricter than Go (no sign, no ".5s", no "1.s") so that a typo does not slip by.
 */
export const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$';

const durationRegExp = new RegExp(DURATION_PATTERN);
const termRegExp = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;

/** Whether `text` is a duration the API server accepts. */
export function isDuration(text: string): boolean {
  return durationRegExp.test(text);
}

/**
 * Parses a Go/Flagger duration ("1m30s") into milliseconds (fractional for ns/µs).
 * Throws a RangeError on anything the API server would reject.
 */
export function parseDuration(text: string): number {
  if (!isDuration(text)) {
    throw new RangeError(`invalid duration ${JSON.stringify(text)}: want e.g. "30s", "1m30s", "1.5h"`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(termRegExp)) {
    const unitMs = UNIT_MS[unit ?? ''];
    if (unitMs === undefined || amount === undefined) throw new RangeError(`invalid duration unit in ${JSON.stringify(text)}`);
    total += Number(amount) * unitMs;
  }
  return total;
}

/**
 * Formats milliseconds the way Go's Duration.String() does for whole milliseconds and up
 * ("1h2m3.5s", "250ms", "0s"), so messages and status show durations the way users write them.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format duration ${ms}`);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${trimNumber(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  let out = '';
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${trimNumber(seconds)}s`;
}

function trimNumber(value: number): string {
  // At most millisecond precision past the second, without trailing zeros.
  return String(Math.round(value * 1000) / 1000);
}
