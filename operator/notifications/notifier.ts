// One Notifier per AlertProvider type, as in Flagger: it turns a Notification into the HTTP
// request its service expects. Rendering is pure (no clock, no randomness of its own), so
// every payload shape is unit-tested; the dispatcher does the sending.
import type { AlertProviderType } from '../../crds/index.js';
import type { Notification } from './notification.js';
import type { ResolvedProvider } from './provider-resolution.js';

/** A POST to make: the body is the exact bytes to send (signatures are computed over it). */
export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface Notifier {
  readonly type: AlertProviderType;
  /**
   * The request for one delivery attempt. `sentAt` is the attempt's clock reading: only
   * signatures depend on it, so every attempt carries the same body.
   */
  render(notification: Notification, provider: ResolvedProvider, sentAt: Date): OutgoingRequest;
}

export const JSON_HEADERS: Readonly<Record<string, string>> = { 'Content-Type': 'application/json; charset=utf-8' };
