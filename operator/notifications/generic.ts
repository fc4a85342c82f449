// The generic webhook: the Notification as JSON, a superset of Flagger's event-webhook body
// ({name, namespace, phase, checksum, metadata{eventMessage, eventType, timestamp}}) so that a
// receiver written for Flagger keeps working, signed when the provider has a key.
import type { AlertSeverity, CanaryPhase, ThresholdRange } from '../../crds/index.js';
import type { Notification } from './notification.js';
import { JSON_HEADERS, type Notifier } from './notifier.js';
import { signatureHeaders } from './signature.js';

export interface GenericPayload {
  /** Same for every attempt at one event: receivers drop duplicates by it. */
  id: string;
  name: string;
  namespace: string;
  phase: CanaryPhase | null;
  /** The reason of the event: Progressing, AnalysisFailed, RolledBack, Promoted, ... */
  event: string;
  severity: AlertSeverity;
  message: string;
  /** Revision rolled out (pod template hash), null when unknown. */
  revision: string | null;
  /** Flagger's name for the revision. */
  checksum: string | null;
  image: string | null;
  /** Canary traffic share in percent, null when unknown. */
  weight: number | null;
  metric?: string;
  value?: number;
  primaryValue?: number;
  threshold?: ThresholdRange;
  /** When the event happened, ISO 8601. */
  timestamp: string;
  /** Flagger's keys (eventMessage, eventType Normal|Warning, timestamp in ms) plus the controller's. */
  metadata: Record<string, string>;
}

export function genericPayload(n: Notification): GenericPayload {
  const payload: GenericPayload = {
    id: n.id,
    name: n.name,
    namespace: n.namespace,
    phase: n.phase ?? null,
    event: n.reason,
    severity: n.severity,
    message: n.message,
    revision: n.revision ?? null,
    checksum: n.revision ?? null,
    image: n.image ?? null,
    weight: n.weight ?? null,
    timestamp: n.time,
    metadata: {
      ...n.metadata,
      eventMessage: n.message,
      eventType: n.severity === 'info' ? 'Normal' : 'Warning',
      timestamp: String(Date.parse(n.time)),
    },
  };
  if (n.metric !== undefined) payload.metric = n.metric;
  if (n.value !== undefined) payload.value = n.value;
  if (n.primaryValue !== undefined) payload.primaryValue = n.primaryValue;
  if (n.threshold !== undefined) payload.threshold = n.threshold;
  return payload;
}

export const genericNotifier: Notifier = {
  type: 'generic',
  render(n, provider, sentAt) {
    const body = JSON.stringify(genericPayload(n));
    // Signed per attempt: a retry an hour later carries a fresh timestamp, so receivers can
    // keep a tight replay window without rejecting late retries.
    const headers = { ...JSON_HEADERS, 'X-Sluice-Event': n.reason, ...(provider.signingKey ? signatureHeaders(provider.signingKey, body, sentAt) : {}) };
    return { url: provider.url, headers, body };
  },
};
