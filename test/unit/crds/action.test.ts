import { ACTION_ANNOTATION, formatActionAnnotation, parseActionAnnotation } from '../../../crds/action.js';

describe('the sluice.dev/action annotation', () => {
  it('is in our group', () => {
    expect(ACTION_ANNOTATION).toBe('sluice.dev/action');
  });

  it.each([
    ['promote:3f9a0c', { action: 'promote', nonce: '3f9a0c' }],
    ['abort:x_1-2', { action: 'abort', nonce: 'x_1-2' }],
    ['pause', { action: 'pause', nonce: '' }],
    [' resume ', { action: 'resume', nonce: '' }],
    ['retry:abc', { action: 'retry', nonce: 'abc' }],
  ])('parses %j', (value, request) => {
    expect(parseActionAnnotation(value)).toEqual({ ok: true, request });
  });

  it.each([
    ['rollback', /unknown action "rollback"/],
    ['', /unknown action ""/],
    ['promote:', /invalid nonce ""/],
    ['promote:has space', /invalid nonce/],
    [`promote:${'a'.repeat(65)}`, /invalid nonce/],
  ])('refuses %j', (value, error) => {
    const parsed = parseActionAnnotation(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });

  it('formats what it parses', () => {
    for (const request of [
      { action: 'promote', nonce: 'n1' },
      { action: 'pause', nonce: '' },
    ] as const) {
      expect(parseActionAnnotation(formatActionAnnotation(request))).toEqual({ ok: true, request });
    }
    expect(() => formatActionAnnotation({ action: 'abort', nonce: 'no spaces' })).toThrow(RangeError);
  });
});
