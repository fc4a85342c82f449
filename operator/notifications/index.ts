// Notifications of rollout events to Slack, Microsoft Teams, Discord and generic webhooks
// (AlertProvider). Wiring in the operator:
//
//   const dispatcher = new NotificationDispatcher({ resolver: createProviderResolver(lookups), log, registry });
//   const notifier = new CanaryNotifier({ sink: dispatcher });
//   notifier.notify(canary, { reason: 'RolledBack', severity: 'error', message, details: { image } });
//   ...on shutdown: await dispatcher.flush(5_000); await dispatcher.close();
export { type AlertProviderRef, type AlertTarget, alertReceives, alertTargets, providerKey } from './alert-routing.js';
export { type CanaryNotifierOptions, type NotificationSink, type NotifyResult, CanaryNotifier } from './canary-notifier.js';
export { type AttemptOutcome, type RetryPolicy, DEFAULT_RETRY_POLICY } from './delivery-policy.js';
export { type DispatcherOptions, NotificationDispatcher } from './dispatcher.js';
export { type NotificationMetrics, type NotificationResult, notificationMetrics } from './metrics.js';
export { type Notification, type RolloutEvent, type RolloutEventDetails, buildNotification } from './notification.js';
export { type Notifier, type OutgoingRequest } from './notifier.js';
export { NOTIFIERS } from './notifiers.js';
export {
  type ProviderLookups,
  type ProviderResolver,
  type ResolvedProvider,
  type SecretLike,
  ALERT_SIGNING_KEY,
  ProviderResolutionError,
  createProviderResolver,
  decodeSecretData,
  resolveAlertProvider,
} from './provider-resolution.js';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, computeSignature, signatureHeaders, signingString, verifySignature } from './signature.js';
