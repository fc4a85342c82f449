// Which AlertProviders hear about an event: the severity filter of spec.analysis.alerts and
// the namespace defaulting of providerRef. Pure; the canary notifier enqueues what this says.
import type { AlertSeverity, Canary, CanaryAlert } from '../../crds/index.js';

const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { info: 0, warn: 1, error: 2 };

/**
 * An alert's severity is the lowest it wants to hear: `info` receives everything, `warn`
 * receives warnings and errors, `error` only errors (as in Flagger).
 */
export function alertReceives(alertSeverity: AlertSeverity, eventSeverity: AlertSeverity): boolean {
  return SEVERITY_RANK[eventSeverity] >= SEVERITY_RANK[alertSeverity];
}

/** An AlertProvider by name and namespace, the namespace always filled in. */
export interface AlertProviderRef {
  name: string;
  namespace: string;
}

export function providerKey(ref: AlertProviderRef): string {
  return `${ref.namespace}/${ref.name}`;
}

export interface AlertTarget {
  providerRef: AlertProviderRef;
  /** Names of the alerts that chose this provider for the event. */
  alerts: string[];
}

/**
 * The providers an event of `severity` goes to, each once even when several alerts name it
 * (say a `warn` alert and an `error` alert on the same channel), in the order of the spec.
 */
export function alertTargets(canary: Canary, severity: AlertSeverity): AlertTarget[] {
  const alerts: readonly CanaryAlert[] = canary.spec.analysis.alerts ?? [];
  const canaryNamespace = canary.metadata.namespace ?? 'default';
  const byProvider = new Map<string, AlertTarget>();
  for (const alert of alerts) {
    if (!alertReceives(alert.severity ?? 'info', severity)) continue;
    const providerRef = { name: alert.providerRef.name, namespace: alert.providerRef.namespace ?? canaryNamespace };
    const key = providerKey(providerRef);
    const existing = byProvider.get(key);
    if (existing) existing.alerts.push(alert.name);
    else byProvider.set(key, { providerRef, alerts: [alert.name] });
  }
  return [...byProvider.values()];
}
