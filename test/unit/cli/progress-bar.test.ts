import { progressBar } from '../../../cli/progress-bar.js';

describe('progressBar', () => {
  it('draws 40% as 8 of 20 cells', () => {
    expect(progressBar(40)).toBe('[████████░░░░░░░░░░░░] 40%');
  });

  it('draws the ends', () => {
    expect(progressBar(0)).toBe(`[${'░'.repeat(20)}] 0%`);
    expect(progressBar(100)).toBe(`[${'█'.repeat(20)}] 100%`);
  });

  it('shows any traffic at all, and never shows 99% as full', () => {
    expect(progressBar(1)).toBe(`[█${'░'.repeat(19)}] 1%`);
    expect(progressBar(99)).toBe(`[${'█'.repeat(19)}░] 99%`);
  });

  it('clamps out-of-range and non-finite values', () => {
    expect(progressBar(150)).toBe(`[${'█'.repeat(20)}] 100%`);
    expect(progressBar(-3)).toBe(`[${'░'.repeat(20)}] 0%`);
    expect(progressBar(Number.NaN)).toBe(`[${'░'.repeat(20)}] 0%`);
  });

  it('takes another width', () => {
    expect(progressBar(50, { width: 10 })).toBe('[█████░░░░░] 50%');
  });
});
