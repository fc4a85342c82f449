// The JSON body every webhook receives, as Flagger sends it (its CanaryWebhookPayload), so
// that receivers written for Flagger (flagger-loadtester, gate services) work unchanged:
//
//   {"name": "podinfo", "namespace": "test", "phase": "Progressing",
//    "checksum": "...", "type": "pre-rollout", "metadata": {"cmd": "..."}}
//
// `type` is ours: receivers that serve several hook types at one URL can tell them apart.
// Flagger's decoders ignore fields they do not know.

import type { Canary, CanaryPhase, CanaryStatus, CanaryWebhook, WebhookType } from '../../crds/index.js';
import { canonicalHash } from '../canonical-json.js';

export interface WebhookPayload {
  /** Name of the Canary. */
  name: string;
  namespace: string;
  phase: CanaryPhase;
  /** Identifies the revision under test: a hash of lastAppliedSpec and trackedConfigs. */
  checksum: string;
  type: WebhookType;
  /** The webhook's metadata; event hooks add eventMessage, eventType and timestamp. */
  metadata?: Record<string, string>;
}

/** The parts of a Canary a payload is made of. */
export type WebhookCanary = Pick<Canary, 'metadata' | 'spec' | 'status'>;

/** An event the operator records, as event webhooks hear of it. */
export interface CanaryEventNotice {
  eventType: 'Normal' | 'Warning';
  message: string;
}

/**
 * Flagger's checksum covers the same two fields, so that a receiver can recognise a
 * revision across calls; the hash itself is ours (a receiver only compares them).
 */
export function canaryChecksum(status: Pick<CanaryStatus, 'lastAppliedSpec' | 'trackedConfigs'> | undefined): string {
  return canonicalHash({ lastAppliedSpec: status?.lastAppliedSpec ?? '', trackedConfigs: status?.trackedConfigs ?? {} });
}

/**
 * The phase Flagger reports to each hook type: the checks and gates of a rollout are asked
 * "while Progressing" whatever the phase says (a confirm-rollout gate is asked while the
 * Canary is Waiting); post-rollout hears the outcome (Succeeded or Failed); rollback and
 * event hooks hear the phase as it is.
 */
export function payloadPhase(type: WebhookType, status: CanaryStatus | undefined): CanaryPhase {
  switch (type) {
    case 'confirm-rollout':
    case 'pre-rollout':
    case 'rollout':
    case 'confirm-traffic-increase':
    case 'confirm-promotion':
      return 'Progressing';
    case 'post-rollout':
    case 'rollback':
    case 'event':
      return status?.phase ?? 'Initializing';
  }
}

export function webhookPayload(canary: WebhookCanary, hook: CanaryWebhook): WebhookPayload {
  const metadata = hook.metadata && Object.keys(hook.metadata).length > 0 ? { ...hook.metadata } : undefined;
  return {
    name: canary.metadata.name ?? '',
    namespace: canary.metadata.namespace ?? '',
    phase: payloadPhase(hook.type, canary.status),
    checksum: canaryChecksum(canary.status),
    type: hook.type,
    ...(metadata ? { metadata } : {}),
  };
}

/**
 * An event hook's payload: Flagger's eventMessage, eventType and timestamp (epoch
 * milliseconds, as a string) in metadata; the webhook's own metadata cannot override them.
 */
export function eventPayload(canary: WebhookCanary, hook: CanaryWebhook, event: CanaryEventNotice, at: Date): WebhookPayload {
  return {
    ...webhookPayload(canary, hook),
    metadata: {
      ...hook.metadata,
      eventMessage: event.message,
      eventType: event.eventType,
      timestamp: String(at.getTime()),
    },
  };
}
