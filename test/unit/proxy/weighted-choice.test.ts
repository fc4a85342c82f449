import { pickWeighted } from '../../../proxy/weighted-choice.js';
import { scriptedRandom, seededRandom } from './seeded-random.js';

describe('pickWeighted', () => {
  const split = [
    { name: 'primary', weight: 90 },
    { name: 'canary', weight: 10 },
  ];

  it('maps the unit interval onto cumulative weights', () => {
    expect(pickWeighted(split, () => 0)).toBe('primary');
    expect(pickWeighted(split, () => 0.8999)).toBe('primary');
    expect(pickWeighted(split, () => 0.9)).toBe('canary');
    expect(pickWeighted(split, () => 0.999999)).toBe('canary');
  });

  it('never picks a backend of weight 0', () => {
    const choices = [
      { name: 'a', weight: 0 },
      { name: 'b', weight: 5 },
      { name: 'c', weight: 0 },
    ];
    for (const r of [0, 0.3, 0.999999]) expect(pickWeighted(choices, () => r)).toBe('b');
  });

  it.each([
    [90, 10],
    [50, 50],
    [99, 1],
    [99_999, 1],
  ])('holds a %i/%i split to within 0.1%% over a million draws', (a, b) => {
    const random = seededRandom(a * 7 + b);
    const choices = [
      { name: 'a', weight: a },
      { name: 'b', weight: b },
    ];
    let hits = 0;
    const n = 1_000_000;
    for (let i = 0; i < n; i++) if (pickWeighted(choices, random) === 'b') hits++;
    expect(Math.abs(hits / n - b / (a + b))).toBeLessThan(0.001);
  });

  it('throws when no entry has weight', () => {
    expect(() => pickWeighted([{ name: 'a', weight: 0 }], scriptedRandom(0.5))).toThrow('no entry has a positive weight');
  });
});
