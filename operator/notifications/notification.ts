// What a rollout event becomes before any provider formats it: one plain record with
// everything a reader of a Slack message or a webhook consumer wants to know (revision,
// image, weight, and for a failed check the metric, its value and the threshold).
// Building it is pure: the caller passes the clock reading and the delivery id.
import type { AlertSeverity, Canary, CanaryPhase, ThresholdRange } from '../../crds/index.js';

/** Facts the controller knows about an event beyond what the Canary's status says. */
export interface RolloutEventDetails {
  /** Revision (pod template hash) rolled out; defaults to status.lastAppliedSpec. */
  revision?: string;
  /** Image(s) of the target's containers, e.g. "ghcr.io/acme/podinfo:6.5.0". */
  image?: string;
  /** Canary traffic share in percent; defaults to status.canaryWeight. */
  weight?: number;
  /** Phase to report; defaults to status.phase. */
  phase?: CanaryPhase;
  /** The failing metric; when absent, the first Failed entry of status.analysisResults is used. */
  metric?: string;
  value?: number;
  /** The primary's value of the metric (compare judge). */
  primaryValue?: number;
  threshold?: ThresholdRange;
  /** Extra key/values, passed through to the generic webhook's metadata. */
  metadata?: Readonly<Record<string, string>>;
}

/** A rollout event as the canary controller reports it (reason as in the Kubernetes Event). */
export interface RolloutEvent {
  /**
   * Identity of the event for receivers that drop duplicates; pass a deterministic one (say
   * from the Canary's uid, the revision and the reason) if the same event may be reported
   * twice, e.g. after an operator restart. A random UUID by default.
   */
  id?: string;
  /** Short CamelCase reason: Progressing, AnalysisFailed, RolledBack, Promoted, ... */
  reason: string;
  severity: AlertSeverity;
  message: string;
  details?: RolloutEventDetails;
}

/** One event about one Canary, ready to be rendered for any provider. */
export interface Notification {
  /** Unique per event; the generic webhook carries it so receivers can drop duplicates. */
  id: string;
  name: string;
  namespace: string;
  /** "Deployment/podinfo" */
  target: string;
  phase?: CanaryPhase;
  reason: string;
  severity: AlertSeverity;
  message: string;
  revision?: string;
  image?: string;
  weight?: number;
  metric?: string;
  value?: number;
  primaryValue?: number;
  threshold?: ThresholdRange;
  /** When the event happened (not when it was delivered), ISO 8601. */
  time: string;
  metadata: Readonly<Record<string, string>>;
}

/** The metric that made the analysis fail, as recorded in the status. */
function failingResult(canary: Canary): Pick<RolloutEventDetails, 'metric' | 'value' | 'primaryValue' | 'threshold'> {
  const failed = canary.status?.analysisResults?.find((result) => result.verdict === 'Failed');
  if (!failed) return {};
  return { metric: failed.metric, value: failed.value, primaryValue: failed.primaryValue, threshold: failed.thresholdRange };
}

/** Drops undefined members so that renderers and JSON output only see known facts. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `at.id` is used when the event has no id of its own. */
export function buildNotification(canary: Canary, event: RolloutEvent, at: { now: Date; id: string }): Notification {
  const details = event.details ?? {};
  const status = canary.status ?? {};
  // An info event (Promoted, say) may follow a failed check of an earlier step; only a
  // warning or an error is about the failing metric.
  const metricFacts =
    details.metric !== undefined
      ? { metric: details.metric, value: details.value, primaryValue: details.primaryValue, threshold: details.threshold }
      : event.severity === 'info'
        ? {}
        : failingResult(canary);
  return defined({
    id: event.id ?? at.id,
    name: canary.metadata.name,
    namespace: canary.metadata.namespace ?? 'default',
    target: `${canary.spec.targetRef.kind}/${canary.spec.targetRef.name}`,
    phase: details.phase ?? status.phase,
    reason: event.reason,
    severity: event.severity,
    message: event.message,
    revision: details.revision ?? status.lastAppliedSpec,
    image: details.image,
    weight: details.weight ?? status.canaryWeight,
    ...defined(metricFacts),
    time: at.now.toISOString(),
    metadata: { ...(details.metadata ?? {}) },
  });
}
