import { parseNotification } from '../../../playground/notification-receiver.js';

const AT = 1_800_000_000_000;

const payload = {
  id: 'n-1',
  name: 'demo',
  namespace: 'default',
  phase: 'Failed',
  event: 'RolledBack',
  severity: 'error',
  message: 'Rolled back revision r1-abc',
  revision: 'r1-abc',
  checksum: 'r1-abc',
  image: 'sluice.dev/demo-app:v3',
  weight: 0,
  metric: 'request-success-rate',
  value: 68,
  threshold: { min: 99 },
  timestamp: '2026-11-21T10:00:00Z',
  metadata: { eventType: 'Warning' },
};

describe('parseNotification', () => {
  it("keeps the generic payload's fields the playground shows", () => {
    expect(parseNotification(JSON.stringify(payload), AT)).toEqual({
      id: 'n-1',
      name: 'demo',
      namespace: 'default',
      event: 'RolledBack',
      severity: 'error',
      message: 'Rolled back revision r1-abc',
      revision: 'r1-abc',
      image: 'sluice.dev/demo-app:v3',
      weight: 0,
      metric: 'request-success-rate',
      value: 68,
      threshold: { min: 99 },
      timestamp: '2026-11-21T10:00:00Z',
      receivedAt: AT,
    });
  });

  it('leaves out optional fields that are null', () => {
    const parsed = parseNotification(JSON.stringify({ ...payload, revision: null, image: null, weight: null, metric: undefined, value: undefined, threshold: undefined }), AT);
    expect(parsed).toEqual({ id: 'n-1', name: 'demo', namespace: 'default', event: 'RolledBack', severity: 'error', message: 'Rolled back revision r1-abc', timestamp: '2026-11-21T10:00:00Z', receivedAt: AT });
  });

  it.each<[string, string, string]>([
    ['not JSON', '{', 'body is not JSON'],
    ['not an object', '[1]', 'body is not a JSON object'],
    ['no id', JSON.stringify({ ...payload, id: undefined }), 'field id must be a string'],
    ['a numeric event', JSON.stringify({ ...payload, event: 7 }), 'field event must be a string'],
  ])('refuses a body that is %s, naming what is wrong', (_name, body, error) => {
    expect(parseNotification(body, AT)).toEqual({ error });
  });
});
