import { StatsStore, type ReceivedStats } from '../../../../operator/config-server/stats-store.js';
import type { StatsReport } from '../../../../proxy/stats-report.js';
import { FakeClock } from '../runtime/fake-clock.js';

const report = (proxyId: string, at: number): StatsReport => ({ proxyId, startedAt: 0, at, snapshotVersion: 'v', backends: {} });

describe('StatsStore', () => {
  it('keeps the latest report per proxy per namespace and tells subscribers about each one', () => {
    const clock = new FakeClock();
    const store = new StatsStore({ clock });
    const seen: ReceivedStats[] = [];
    const unsubscribe = store.subscribe((s) => seen.push(s));
    store.record('a', report('p1', 1));
    store.record('a', report('p1', 2));
    store.record('a', report('p2', 1));
    store.record('b', report('p3', 1));
    expect(store.latest('a').map((s) => [s.proxyId, s.report.at])).toEqual([
      ['p1', 2],
      ['p2', 1],
    ]);
    expect(store.latestOf('b', 'p3')?.report.at).toBe(1);
    expect(store.namespaces().sort()).toEqual(['a', 'b']);
    expect(seen).toHaveLength(4);
    unsubscribe();
    store.record('a', report('p1', 3));
    expect(seen).toHaveLength(4);
  });

  it('drops reports older than the retention period', () => {
    const clock = new FakeClock();
    const store = new StatsStore({ clock, retentionMs: 10_000 });
    store.record('a', report('gone', 1));
    clock.advance(6_000);
    store.record('a', report('alive', 1));
    clock.advance(5_000);
    expect(store.latest('a').map((s) => s.proxyId)).toEqual(['alive']);
    clock.advance(10_000);
    expect(store.latest('a')).toEqual([]);
    expect(store.namespaces()).toEqual([]);
  });

  it('isolates a throwing subscriber', () => {
    const errors: unknown[] = [];
    const store = new StatsStore({ onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    store.subscribe(() => {
      throw new Error('boom');
    });
    store.subscribe((s) => seen.push(s.proxyId));
    store.record('a', report('p', 1));
    expect(seen).toEqual(['p']);
    expect(errors).toHaveLength(1);
  });
});
