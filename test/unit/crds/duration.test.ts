import { DURATION_PATTERN, formatDuration, isDuration, parseDuration } from '../../../crds/duration.js';

describe('parseDuration (Go / Flagger duration strings)', () => {
  it.each([
    ['0', 0],
    ['5s', 5_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['250ms', 250],
    ['1s500ms', 1_500],
    ['100us', 0.1],
    ['100µs', 0.1],
    ['1000000ns', 1],
    ['30m0s', 1_800_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '5', '1 m', '-5s', '+5s', '.5s', '1.s', '5sec', '1d', '1w', '5S', 'm', '1m 30s'])('rejects %j', (text) => {
    expect(isDuration(text)).toBe(false);
    expect(() => parseDuration(text)).toThrow(RangeError);
  });

  it('uses the pattern the CRDs give the API server', () => {
    expect(new RegExp(DURATION_PATTERN).test('1m30s')).toBe(true);
    expect(new RegExp(DURATION_PATTERN).test('1m30')).toBe(false);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [9_900_000, '2h45m0s'],
  ])('%d ms is %s, as Go prints it', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1_000, 61_234, 3_723_000]) expect(parseDuration(formatDuration(ms))).toBeCloseTo(ms, 6);
  });

  it('refuses negative and non-finite values', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });
});
