import { CanaryNotifier, type NotificationSink } from '../../../../operator/notifications/canary-notifier.js';
import type { AlertProviderRef } from '../../../../operator/notifications/alert-routing.js';
import type { Notification } from '../../../../operator/notifications/notification.js';
import { canary } from './fixtures.js';

class RecordingSink implements NotificationSink {
  readonly received: { ref: AlertProviderRef; notification: Notification }[] = [];
  enqueue(ref: AlertProviderRef, notification: Notification): void {
    this.received.push({ ref, notification });
  }
}

const clock = { now: () => Date.parse('2026-11-21T10:15:30Z'), setTimer: () => ({ cancel: () => undefined }) };

describe('CanaryNotifier', () => {
  const subject = canary(
    [
      { name: 'team', severity: 'info', providerRef: { name: 'slack' } },
      { name: 'oncall', severity: 'error', providerRef: { name: 'hook', namespace: 'ops' } },
    ],
    { phase: 'Progressing', canaryWeight: 30, lastAppliedSpec: 'abc123' },
  );

  it('queues one notification, built once, for every provider whose alert admits the severity', () => {
    const sink = new RecordingSink();
    let ids = 0;
    const notifier = new CanaryNotifier({ sink, clock, newId: () => `n${++ids}` });
    const result = notifier.notify(subject, { reason: 'RolledBack', severity: 'error', message: 'rolled back', details: { image: 'podinfo:2' } });
    expect(result.providers).toEqual(['test/slack', 'ops/hook']);
    expect(sink.received.map((r) => r.ref)).toEqual([
      { name: 'slack', namespace: 'test' },
      { name: 'hook', namespace: 'ops' },
    ]);
    expect(sink.received[0]?.notification).toBe(sink.received[1]?.notification);
    expect(result.notification).toMatchObject({ id: 'n1', reason: 'RolledBack', weight: 30, revision: 'abc123', image: 'podinfo:2', time: '2026-11-21T10:15:30.000Z' });
  });

  it('queues nothing when no alert admits the event', () => {
    const sink = new RecordingSink();
    const notifier = new CanaryNotifier({ sink, clock });
    expect(notifier.notify(canary([{ name: 'oncall', severity: 'error', providerRef: { name: 'hook' } }]), { reason: 'Promoted', severity: 'info', message: 'ok' })).toEqual({
      providers: [],
    });
    expect(sink.received).toEqual([]);
  });
});
