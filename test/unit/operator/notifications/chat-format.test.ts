import {
  describeThreshold,
  formatNumber,
  humanReason,
  notificationFacts,
  notificationTitle,
  truncate,
} from '../../../../operator/notifications/chat-format.js';
import { rollbackNotification } from './fixtures.js';

describe('chat formatting', () => {
  it('formats numbers with at most four decimals and no trailing zeros', () => {
    expect(formatNumber(80.25)).toBe('80.25');
    expect(formatNumber(99.999999)).toBe('100');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(1200)).toBe('1200');
    expect(formatNumber(Number.NaN)).toBe('NaN');
  });

  it('describes threshold ranges in words', () => {
    expect(describeThreshold({ min: 99 })).toBe('at least 99');
    expect(describeThreshold({ max: 500 })).toBe('at most 500');
    expect(describeThreshold({ min: 0.5, max: 1.5 })).toBe('0.5 to 1.5');
  });

  it('turns reasons into titles', () => {
    expect(humanReason('RolledBack')).toBe('Rolled back');
    expect(humanReason('WeightIncreased')).toBe('Weight increased');
    expect(humanReason('Promoted')).toBe('Promoted');
    expect(notificationTitle(rollbackNotification())).toBe('Rolled back podinfo.test');
  });

  it('cuts long text with an ellipsis within the limit', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abcdef', 4)).toHaveLength(4);
    expect(truncate('abc', 4)).toBe('abc');
  });

  it('lists the known facts in reading order: revision, image, weight, metric, value, threshold', () => {
    expect(notificationFacts(rollbackNotification({ primaryValue: 99.9 }))).toEqual([
      { name: 'Target', value: 'Deployment/podinfo.test' },
      { name: 'Phase', value: 'Failed' },
      { name: 'Revision', value: '7d9f8c6b5a' },
      { name: 'Image', value: 'ghcr.io/stefanprodan/podinfo:6.5.1' },
      { name: 'Canary weight', value: '20%' },
      { name: 'Metric', value: 'request-success-rate' },
      { name: 'Value', value: '80.25' },
      { name: 'Primary value', value: '99.9' },
      { name: 'Threshold', value: 'at least 99' },
    ]);
    const { image: _i, metric: _m, value: _v, threshold: _t, ...bare } = rollbackNotification();
    expect(notificationFacts(bare).map((f) => f.name)).toEqual(['Target', 'Phase', 'Revision', 'Canary weight']);
    expect(notificationFacts(rollbackNotification({ weight: 0 })).find((f) => f.name === 'Canary weight')?.value).toBe('0%');
  });
});
