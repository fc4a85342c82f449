// The canary controller's entry point: notify(canary, event) picks the AlertProviders of
// spec.analysis.alerts whose severity admits the event, builds the notification once and
// hands it to the dispatcher. Synchronous and quick: it never waits for a receiver.
import { randomUUID } from 'node:crypto';
import type { Canary } from '../../crds/index.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { type AlertProviderRef, alertTargets, providerKey } from './alert-routing.js';
import { type Notification, type RolloutEvent, buildNotification } from './notification.js';

/** Where notifications are handed over; NotificationDispatcher in the operator. */
export interface NotificationSink {
  enqueue(providerRef: AlertProviderRef, notification: Notification): void;
}

export interface CanaryNotifierOptions {
  sink: NotificationSink;
  clock?: Clock;
  newId?: () => string;
}

export interface NotifyResult {
  /** Providers (namespace/name) the event was queued for; empty when no alert wants it. */
  providers: string[];
  notification?: Notification;
}

export class CanaryNotifier {
  private readonly sink: NotificationSink;
  private readonly clock: Clock;
  private readonly newId: () => string;

  constructor(options: CanaryNotifierOptions) {
    this.sink = options.sink;
    this.clock = options.clock ?? systemClock;
    this.newId = options.newId ?? randomUUID;
  }

  /** Queues `event` for every provider whose alert admits its severity; returns at once. */
  notify(canary: Canary, event: RolloutEvent): NotifyResult {
    const targets = alertTargets(canary, event.severity);
    if (targets.length === 0) return { providers: [] };
    const notification = buildNotification(canary, event, { now: new Date(this.clock.now()), id: event.id ?? this.newId() });
    for (const target of targets) this.sink.enqueue(target.providerRef, notification);
    return { providers: targets.map((target) => providerKey(target.providerRef)), notification };
  }
}
