import { latestEvents, toEventView } from '../../../cli/event-view.js';

describe('toEventView', () => {
  it('reads a core/v1 Event as the operator writes it', () => {
    expect(
      toEventView({
        metadata: { name: 'podinfo.1', uid: 'u1', resourceVersion: '42' },
        type: 'Warning',
        reason: 'RolledBack',
        message: 'Rolled back\nrevision abc',
        count: 3,
        firstTimestamp: '2026-11-21T09:00:00Z',
        lastTimestamp: '2026-11-21T09:30:00Z',
      }),
    ).toEqual({ uid: 'u1', type: 'Warning', reason: 'RolledBack', message: 'Rolled back revision abc', count: 3, lastSeen: '2026-11-21T09:30:00Z', version: '42' });
  });

  it('reads an events.k8s.io-style Event (eventTime, series, note)', () => {
    const view = toEventView({
      metadata: { name: 'e', uid: 'u2', resourceVersion: '1' },
      eventTime: '2026-11-21T09:00:00.000000Z',
      series: { count: 5, lastObservedTime: '2026-11-21T09:10:00.000000Z' },
      note: 'from note',
      reason: 'Progressing',
    });
    expect(view).toMatchObject({ count: 5, lastSeen: '2026-11-21T09:10:00.000000Z', message: 'from note', type: 'Normal' });
  });

  it('survives an Event with nothing in it', () => {
    expect(toEventView({})).toEqual({ uid: '', type: 'Normal', reason: '', message: '', count: 1, lastSeen: undefined, version: '' });
  });
});

describe('latestEvents', () => {
  const at = (uid: string, lastSeen: string | undefined) => ({ uid, type: 'Normal', reason: '', message: '', count: 1, lastSeen, version: '' });

  it('orders oldest first and keeps the newest', () => {
    const events = [at('c', '2026-11-21T10:00:03Z'), at('a', '2026-11-21T10:00:01Z'), at('b', '2026-11-21T10:00:02Z'), at('z', undefined)];
    expect(latestEvents(events, 10).map((e) => e.uid)).toEqual(['z', 'a', 'b', 'c']);
    expect(latestEvents(events, 2).map((e) => e.uid)).toEqual(['b', 'c']);
    expect(latestEvents(events, 0)).toEqual([]);
  });
});
