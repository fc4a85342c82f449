import type { AlertSeverity } from '../../../../crds/index.js';
import { alertReceives, alertTargets, providerKey } from '../../../../operator/notifications/alert-routing.js';
import { canary } from './fixtures.js';

describe('alertReceives (severity filter)', () => {
  // Rows: the alert's severity; columns: which event severities it receives.
  const table: [AlertSeverity, Record<AlertSeverity, boolean>][] = [
    ['info', { info: true, warn: true, error: true }],
    ['warn', { info: false, warn: true, error: true }],
    ['error', { info: false, warn: false, error: true }],
  ];
  it.each(table)('an alert of severity %s', (alertSeverity, expected) => {
    for (const [eventSeverity, receives] of Object.entries(expected) as [AlertSeverity, boolean][]) {
      expect([eventSeverity, alertReceives(alertSeverity, eventSeverity)]).toEqual([eventSeverity, receives]);
    }
  });
});

describe('alertTargets', () => {
  const alerts = canary([
    { name: 'team', severity: 'info', providerRef: { name: 'slack' } },
    { name: 'oncall', severity: 'error', providerRef: { name: 'pager', namespace: 'ops' } },
    { name: 'audit', severity: 'warn', providerRef: { name: 'hook', namespace: 'audit' } },
  ]);

  it('sends an info event only to info alerts, defaulting the namespace to the Canary’s', () => {
    expect(alertTargets(alerts, 'info')).toEqual([{ providerRef: { name: 'slack', namespace: 'test' }, alerts: ['team'] }]);
  });

  it('sends a warning to info and warn alerts, an error to all', () => {
    expect(alertTargets(alerts, 'warn').map((t) => providerKey(t.providerRef))).toEqual(['test/slack', 'audit/hook']);
    expect(alertTargets(alerts, 'error').map((t) => providerKey(t.providerRef))).toEqual(['test/slack', 'ops/pager', 'audit/hook']);
  });

  it('sends once to a provider that several admitting alerts name', () => {
    const twice = canary([
      { name: 'all', severity: 'info', providerRef: { name: 'slack' } },
      { name: 'errors', severity: 'error', providerRef: { name: 'slack', namespace: 'test' } },
    ]);
    expect(alertTargets(twice, 'error')).toEqual([{ providerRef: { name: 'slack', namespace: 'test' }, alerts: ['all', 'errors'] }]);
    expect(alertTargets(twice, 'info')).toEqual([{ providerRef: { name: 'slack', namespace: 'test' }, alerts: ['all'] }]);
  });

  it('finds nothing without alerts', () => {
    expect(alertTargets(canary([]), 'error')).toEqual([]);
    const none = canary();
    delete none.spec.analysis.alerts;
    expect(alertTargets(none, 'error')).toEqual([]);
  });
});
