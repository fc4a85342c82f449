import { genericNotifier, genericPayload } from '../../../../operator/notifications/generic.js';
import type { ResolvedProvider } from '../../../../operator/notifications/provider-resolution.js';
import { computeSignature } from '../../../../operator/notifications/signature.js';
import { rollbackNotification } from './fixtures.js';

const provider: ResolvedProvider = { ref: { name: 'hook', namespace: 'test' }, type: 'generic', url: 'http://receiver.test/events' };
const sentAt = new Date('2026-11-21T10:16:00Z');

describe('generic webhook payload', () => {
  it('carries every known fact, and Flagger’s event-webhook fields', () => {
    expect(genericPayload(rollbackNotification({ metadata: { failedChecks: '5' } }))).toEqual({
      id: '6f1c2a40-9d7e-4c61-a0b5-3f2e8d1c7b90',
      name: 'podinfo',
      namespace: 'test',
      phase: 'Failed',
      event: 'RolledBack',
      severity: 'error',
      message: 'Canary failed: request-success-rate 80.25 < 99',
      revision: '7d9f8c6b5a',
      checksum: '7d9f8c6b5a',
      image: 'ghcr.io/stefanprodan/podinfo:6.5.1',
      weight: 20,
      metric: 'request-success-rate',
      value: 80.25,
      threshold: { min: 99 },
      timestamp: '2026-11-21T10:15:30.000Z',
      metadata: {
        failedChecks: '5',
        eventMessage: 'Canary failed: request-success-rate 80.25 < 99',
        eventType: 'Warning',
        timestamp: '1795256130000',
      },
    });
  });

  it('has null for unknown core facts and leaves metric facts out when there is no failing metric', () => {
    const { revision: _r, image: _i, weight: _w, phase: _p, metric: _m, value: _v, threshold: _t, ...bare } = rollbackNotification({
      severity: 'info',
      reason: 'Initialized',
    });
    const payload = genericPayload(bare);
    expect(payload).toMatchObject({ revision: null, checksum: null, image: null, weight: null, phase: null });
    expect(payload).not.toHaveProperty('metric');
    expect(payload).not.toHaveProperty('value');
    expect(payload).not.toHaveProperty('threshold');
    expect(payload.metadata.eventType).toBe('Normal');
  });

  it('is unsigned without a key', () => {
    const request = genericNotifier.render(rollbackNotification(), provider, sentAt);
    expect(request.headers).toEqual({ 'Content-Type': 'application/json; charset=utf-8', 'X-Sluice-Event': 'RolledBack' });
    expect(JSON.parse(request.body)).toEqual(genericPayload(rollbackNotification()));
  });

  it('signs the exact body with the attempt’s timestamp when the provider has a key', () => {
    const request = genericNotifier.render(rollbackNotification(), { ...provider, signingKey: 's3cret' }, sentAt);
    expect(request.headers['X-Sluice-Timestamp']).toBe('1795256160');
    expect(request.headers['X-Sluice-Signature']).toBe(computeSignature('s3cret', '1795256160', request.body));
    // A later attempt: same body (receivers dedupe by id), fresh timestamp and signature.
    const retry = genericNotifier.render(rollbackNotification(), { ...provider, signingKey: 's3cret' }, new Date(sentAt.getTime() + 60_000));
    expect(retry.body).toBe(request.body);
    expect(retry.headers['X-Sluice-Timestamp']).toBe('1795256220');
    expect(retry.headers['X-Sluice-Signature']).not.toBe(request.headers['X-Sluice-Signature']);
  });
});
