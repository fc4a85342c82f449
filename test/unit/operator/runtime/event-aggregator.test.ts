import { EventAggregator } from '../../../../operator/runtime/event-aggregator.js';

const T0 = 1_700_000_000_000;

describe('EventAggregator', () => {
  let n = 0;
  const name = (): string => `ev-${n++}`;
  const options = { windowMs: 600_000, minWriteIntervalMs: 30_000, maxEntries: 3 };

  it('creates an Event for the first occurrence and aggregates a burst of repeats into one later write', () => {
    const agg = new EventAggregator(options);
    const first = agg.record('k', T0, name);
    expect(first.action).toBe('create');
    const eventName = first.action === 'create' ? first.write.name : '';
    // 1000 repeats within a second: one scheduled flush, nothing else.
    const decisions = Array.from({ length: 1000 }, (_, i) => agg.record('k', T0 + i, name).action);
    expect(decisions.filter((a) => a === 'schedule')).toHaveLength(1);
    expect(decisions.filter((a) => a === 'none')).toHaveLength(999);
    const flushed = agg.flush('k', T0 + 30_000);
    expect(flushed).toEqual({ name: eventName, count: 1001, firstAt: T0, lastAt: T0 + 999 });
    // Nothing new since: the next flush writes nothing.
    expect(agg.flush('k', T0 + 60_000)).toBeUndefined();
  });

  it('writes a repeat at once when the last write is older than the minimum interval', () => {
    const agg = new EventAggregator(options);
    agg.record('k', T0, name);
    const d = agg.record('k', T0 + 45_000, name);
    expect(d.action).toBe('update');
    expect(d.action === 'update' && d.write.count).toBe(2);
  });

  it('starts a new Event after a quiet period longer than the window', () => {
    const agg = new EventAggregator(options);
    const a = agg.record('k', T0, name);
    const b = agg.record('k', T0 + 600_001, name);
    expect(b.action).toBe('create');
    expect(a.action === 'create' && b.action === 'create' && a.write.name !== b.write.name).toBe(true);
  });

  it('keeps different events apart and forgets the least recently seen beyond its capacity', () => {
    const agg = new EventAggregator(options);
    for (const key of ['a', 'b', 'c', 'd']) expect(agg.record(key, T0, name).action).toBe('create');
    expect(agg.size).toBe(3);
    // "a" was forgotten: it is new again.
    expect(agg.record('a', T0 + 1, name).action).toBe('create');
    expect(agg.record('d', T0 + 1, name).action).toBe('schedule');
  });
});
