import { age, humanDuration } from '../../../cli/age.js';

describe('humanDuration, as kubectl prints ages', () => {
  it.each([
    [0, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [200_000, '3m20s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3_600_000, '3h'],
    [3 * 3_600_000 + 5 * 60_000, '3h5m'],
    [30 * 3_600_000, '30h'],
    [50 * 3_600_000, '2d2h'],
    [10 * 86_400_000, '10d'],
    [800 * 86_400_000, '2y70d'],
    [9 * 365 * 86_400_000, '9y'],
    [-500, '0s'],
    [-5000, '<invalid>'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('age', () => {
  const now = Date.parse('2026-11-21T10:00:00Z');

  it('measures from an RFC 3339 time', () => {
    expect(age('2026-11-21T09:59:15Z', now)).toBe('45s');
  });

  it('says <unknown> without a time and <invalid> for garbage', () => {
    expect(age(undefined, now)).toBe('<unknown>');
    expect(age('', now)).toBe('<unknown>');
    expect(age('yesterday', now)).toBe('<invalid>');
  });
});
