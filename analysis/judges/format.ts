// Number formatting for status messages: short, unambiguous, and stable across locales.

export type MetricUnit = 'percent' | 'ms' | 'none';

/** Up to `digits` significant digits, without trailing zeros or exponent for everyday magnitudes. */
export function significant(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return value.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(magnitude)));
  return value.toFixed(decimals).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function withUnit(value: number, unit: MetricUnit): string {
  switch (unit) {
    case 'percent':
      // Success rates live near 100%: keep enough digits to tell 99.9 from 99.99.
      return `${value >= 99 && value < 100 ? significant(value, 4) : significant(value, 3)}%`;
    case 'ms':
      return `${significant(value, 3)} ms`;
    case 'none':
      return significant(value, 4);
  }
}

/** A percentage of errors or successes from counts, e.g. "5.1% (51 of 1,000)". */
export function ratioText(part: number, whole: number): string {
  const percent = whole > 0 ? (100 * part) / whole : 0;
  return `${significant(percent, 2)}% (${count(part)} of ${count(whole)})`;
}

export function percentOf(fraction: number): string {
  return `${significant(100 * fraction, 3)}%`;
}
