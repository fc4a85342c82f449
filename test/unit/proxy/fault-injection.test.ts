import { NO_FAULT, decideFaults, hit } from '../../../proxy/fault-injection.js';
import { scriptedRandom, seededRandom } from './seeded-random.js';

describe('fault injection', () => {
  it('injects nothing without faults', () => {
    expect(decideFaults(undefined, () => 0)).toBe(NO_FAULT);
  });

  it('draws delay and abort independently', () => {
    const faults = { delay: { percent: 50, fixedDelay: 200 }, abort: { percent: 50, httpStatus: 503 } };
    expect(decideFaults(faults, scriptedRandom(0.1, 0.9))).toEqual({ delayMs: 200, abortStatus: undefined });
    expect(decideFaults(faults, scriptedRandom(0.9, 0.1))).toEqual({ delayMs: 0, abortStatus: 503 });
    expect(decideFaults(faults, scriptedRandom(0.1, 0.1))).toEqual({ delayMs: 200, abortStatus: 503 });
    expect(decideFaults(faults, scriptedRandom(0.9, 0.9))).toBe(NO_FAULT);
  });

  it('never fires at 0% and always at 100%', () => {
    expect(hit(0, () => 0)).toBe(false);
    expect(hit(100, () => 0.999999)).toBe(true);
  });

  it('fires at the configured rate', () => {
    const random = seededRandom(42);
    let n = 0;
    for (let i = 0; i < 100_000; i++) if (hit(2.5, random)) n++;
    expect(Math.abs(n / 100_000 - 0.025)).toBeLessThan(0.002);
  });
});
