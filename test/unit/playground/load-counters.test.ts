import { countersSince, countOutcome, failedRequests, NO_REQUESTS, type RequestOutcome } from '../../../playground/load-counters.js';

describe('countOutcome', () => {
  it.each<[string, RequestOutcome, Partial<typeof NO_REQUESTS>]>([
    ['a 200 counts as ok for its version', { status: 200, version: 'v1' }, { ok: { v1: 1 } }],
    ['a 204 is ok too', { status: 204, version: 'v2' }, { ok: { v2: 1 } }],
    ["the app's own 500 is an error of its version", { status: 500, version: 'v3' }, { appErrors: { v3: 1 } }],
    ['an answer without a version came from no app', { status: 503, version: undefined }, { unanswered: { 'HTTP 503': 1 } }],
    ['a connection error is unanswered, by its code', { error: 'ECONNREFUSED' }, { unanswered: { ECONNREFUSED: 1 } }],
  ])('%s', (_name, outcome, expected) => {
    expect(countOutcome(NO_REQUESTS, outcome)).toEqual({ ...NO_REQUESTS, sent: 1, ...expected });
  });

  it('adds up and leaves its input alone', () => {
    const outcomes: RequestOutcome[] = [
      { status: 200, version: 'v1' },
      { status: 200, version: 'v1' },
      { status: 500, version: 'v3' },
      { error: 'no endpoint' },
    ];
    const counters = outcomes.reduce(countOutcome, NO_REQUESTS);
    expect(counters).toEqual({ sent: 4, ok: { v1: 2 }, appErrors: { v3: 1 }, unanswered: { 'no endpoint': 1 } });
    expect(failedRequests(counters)).toBe(2);
    expect(NO_REQUESTS).toEqual({ sent: 0, ok: {}, appErrors: {}, unanswered: {} });
  });
});

describe('countersSince', () => {
  it('keeps what happened in between, dropping versions with nothing new', () => {
    const before = { sent: 10, ok: { v1: 10 }, appErrors: {}, unanswered: { ECONNRESET: 1 } };
    const now = { sent: 25, ok: { v1: 12, v2: 8 }, appErrors: { v2: 4 }, unanswered: { ECONNRESET: 1 } };
    expect(countersSince(now, before)).toEqual({ sent: 15, ok: { v1: 2, v2: 8 }, appErrors: { v2: 4 }, unanswered: {} });
    expect(failedRequests(countersSince(now, before))).toBe(4);
  });
});
