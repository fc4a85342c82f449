import type { CanaryStatus, CanaryWebhook, WebhookType } from '../../../../crds/index.js';
import { canaryChecksum, eventPayload, payloadPhase, webhookPayload, type WebhookCanary } from '../../../../operator/canary/webhook-payload.js';

const canary = (status?: CanaryStatus): WebhookCanary => ({
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898 },
    analysis: { interval: '1m', threshold: 5, stepWeight: 10 },
    progressDeadlineSeconds: 600,
    revertOnDeletion: true,
  },
  ...(status ? { status } : {}),
});

const hook = (type: WebhookType, metadata?: Record<string, string>): CanaryWebhook => ({ name: 'h', type, url: 'http://hooks.test/', ...(metadata ? { metadata } : {}) });

describe('webhook payload', () => {
  const status: CanaryStatus = { phase: 'Waiting', lastAppliedSpec: 'rev-2', trackedConfigs: { 'configmap/settings': 'abc' } };

  it("has Flagger's fields, with the webhook's metadata", () => {
    expect(webhookPayload(canary(status), hook('pre-rollout', { type: 'bash', cmd: 'curl -s http://podinfo-canary.test:9898/' }))).toEqual({
      name: 'podinfo',
      namespace: 'test',
      phase: 'Progressing',
      checksum: canaryChecksum(status),
      type: 'pre-rollout',
      metadata: { type: 'bash', cmd: 'curl -s http://podinfo-canary.test:9898/' },
    });
  });

  it('leaves metadata out when the webhook has none, as Flagger does (omitempty)', () => {
    expect(Object.keys(webhookPayload(canary(status), hook('rollout')))).toEqual(['name', 'namespace', 'phase', 'checksum', 'type']);
    expect('metadata' in webhookPayload(canary(status), hook('rollout', {}))).toBe(false);
  });

  it('reports the phase Flagger reports to each hook type', () => {
    for (const type of ['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion'] as const) {
      expect(payloadPhase(type, { phase: 'Waiting' })).toBe('Progressing');
    }
    expect(payloadPhase('post-rollout', { phase: 'Succeeded' })).toBe('Succeeded');
    expect(payloadPhase('post-rollout', { phase: 'Failed' })).toBe('Failed');
    expect(payloadPhase('rollback', { phase: 'WaitingPromotion' })).toBe('WaitingPromotion');
    expect(payloadPhase('event', undefined)).toBe('Initializing');
  });

  it('identifies the revision and its configs by checksum', () => {
    const same = canaryChecksum({ trackedConfigs: { 'configmap/settings': 'abc' }, lastAppliedSpec: 'rev-2' });
    expect(canaryChecksum(status)).toBe(same);
    expect(canaryChecksum({ ...status, lastAppliedSpec: 'rev-3' })).not.toBe(same);
    expect(canaryChecksum({ ...status, trackedConfigs: { 'configmap/settings': 'abd' } })).not.toBe(same);
    expect(canaryChecksum(undefined)).toMatch(/^r1-[0-9a-f]{20}$/);
  });

  it('gives event hooks the event in metadata, which the webhook cannot override', () => {
    const payload = eventPayload(canary(status), hook('event', { team: 'payments', eventType: 'spoofed' }), { eventType: 'Warning', message: 'Rolled back revision rev-2' }, new Date('2026-11-21T10:00:00.123Z'));
    expect(payload).toEqual({
      name: 'podinfo',
      namespace: 'test',
      phase: 'Waiting',
      checksum: canaryChecksum(status),
      type: 'event',
      metadata: { team: 'payments', eventType: 'Warning', eventMessage: 'Rolled back revision rev-2', timestamp: '1795255200123' },
    });
  });
});
