/* eslint-disable @typescript-eslint/no-explicit-any -- the cases poke malformed values into arbitrary JSON on purpose */
import { validateSnapshot, type Snapshot } from '../../../proxy/snapshot.js';

function base(): Record<string, unknown> {
  return {
    version: 'v7',
    listeners: [
      {
        name: 'podinfo',
        port: 9898,
        rules: [
          {
            name: 'insiders',
            matches: [{ headers: [{ name: 'X-Canary', exact: 'insider' }], path: { prefix: '/api' }, method: 'GET' }],
            backends: [{ name: 'podinfo-canary', weight: 1 }],
          },
          {
            name: 'split',
            backends: [
              { name: 'podinfo-primary', weight: 90 },
              { name: 'podinfo-canary', weight: 10 },
            ],
            mirror: { backend: 'podinfo-canary', percent: 12.5 },
            timeout: 1500,
            retries: { attempts: 2, perTryTimeout: 500, retryOn: ['5xx', '429'] },
            sessionAffinity: { cookieName: 'sluice-podinfo', maxAge: 3_600_000 },
            faults: { abort: { percent: 1, httpStatus: 503 }, delay: { percent: 5, fixedDelay: 100 } },
          },
        ],
        loadBalancing: 'round-robin',
        outlierDetection: { consecutiveFailures: 3 },
      },
    ],
    backends: {
      'podinfo-primary': { endpoints: [{ address: '10.0.0.1', port: 8080, ready: true }] },
      'podinfo-canary': { endpoints: [{ address: 'fd00::2', port: 8080, ready: false }] },
    },
  };
}

/** Applies `edit` to a fresh valid snapshot and returns the validation error. */
function errorOf(edit: (s: any) => void): string {
  const s = base();
  edit(s);
  const r = validateSnapshot(s);
  if (r.ok) throw new Error('expected the snapshot to be rejected');
  return r.error;
}

describe('validateSnapshot', () => {
  it('accepts a complete snapshot and returns a frozen copy', () => {
    const raw = base();
    const r = validateSnapshot(raw);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const snapshot: Snapshot = r.snapshot;
    expect(snapshot).toEqual(raw);
    expect(snapshot).not.toBe(raw);
    expect(Object.isFrozen(snapshot.listeners[0]?.rules[1]?.backends)).toBe(true);
    (raw.listeners as any)[0].rules[1].backends[0].weight = 0;
    expect(snapshot.listeners[0]?.rules[1]?.backends[0]?.weight).toBe(90);
  });

  it('accepts a minimal snapshot with no listeners', () => {
    expect(validateSnapshot({ version: '1', listeners: [], backends: {} })).toEqual({
      ok: true,
      snapshot: { version: '1', listeners: [], backends: {} },
    });
  });

  it.each<[string, (s: any) => void, string]>([
    ['not an object', (s) => Object.assign(s, { version: 3 }), 'version: must be a string, got number'],
    ['empty version', (s) => (s.version = ''), 'version: must not be empty'],
    [
      'an invalid regex, naming the full path',
      (s) => (s.listeners[0].rules[0].matches[0].headers[0] = { name: 'x', regex: '(unclosed' }),
      'listeners[0].rules[0].matches[0].headers[0].regex: invalid regular expression "(unclosed"',
    ],
    [
      'a rule referring to an unknown backend',
      (s) => (s.listeners[0].rules[1].backends[1].name = 'nope'),
      'listeners[0].rules[1].backends[1].name: unknown backend "nope"',
    ],
    ['a mirror to an unknown backend', (s) => (s.listeners[0].rules[1].mirror.backend = 'x'), 'listeners[0].rules[1].mirror.backend: unknown backend "x"'],
    ['weights that sum to zero', (s) => s.listeners[0].rules[0].backends[0].weight = 0, 'listeners[0].rules[0].backends: total weight must be greater than 0'],
    ['a weight above the maximum', (s) => (s.listeners[0].rules[0].backends[0].weight = 100001), 'listeners[0].rules[0].backends[0].weight: must be between 0 and 100000'],
    ['a fractional weight', (s) => (s.listeners[0].rules[0].backends[0].weight = 1.5), 'listeners[0].rules[0].backends[0].weight: must be an integer'],
    ['no backends', (s) => (s.listeners[0].rules[0].backends = []), 'listeners[0].rules[0].backends: must name at least one backend'],
    ['a backend listed twice', (s) => s.listeners[0].rules[1].backends.push({ name: 'podinfo-primary', weight: 1 }), 'listeners[0].rules[1].backends[2].name: backend "podinfo-primary" is listed twice'],
    ['an unknown field', (s) => (s.listeners[0].rules[1].retry = {}), 'listeners[0].rules[1].retry: unknown field'],
    ['an unknown top-level field', (s) => (s.extra = 1), 'extra: unknown field'],
    ['two match kinds at once', (s) => (s.listeners[0].rules[0].matches[0].headers[0].prefix = 'a'), 'listeners[0].rules[0].matches[0].headers[0]: must set exactly one of exact, prefix, suffix, regex, present'],
    ['a path that does not start with /', (s) => (s.listeners[0].rules[0].matches[0].path = { prefix: 'api' }), 'listeners[0].rules[0].matches[0].path.prefix: must start with "/"'],
    ['a suffix path match (not supported)', (s) => (s.listeners[0].rules[0].matches[0].path = { suffix: '/x' }), 'listeners[0].rules[0].matches[0].path.suffix: unknown field'],
    ['a lower-case method', (s) => (s.listeners[0].rules[0].matches[0].method = 'get'), 'listeners[0].rules[0].matches[0].method: must be an upper-case HTTP method'],
    ['an invalid header name', (s) => (s.listeners[0].rules[0].matches[0].headers[0].name = 'bad name'), 'listeners[0].rules[0].matches[0].headers[0].name: must be a valid name'],
    ['an unknown retry condition', (s) => (s.listeners[0].rules[1].retries.retryOn = ['5xx', 'sometimes']), 'listeners[0].rules[1].retries.retryOn[1]: must be one of'],
    ['too many retries', (s) => (s.listeners[0].rules[1].retries.attempts = 6), 'listeners[0].rules[1].retries.attempts: must be between 0 and 5'],
    ['a negative timeout', (s) => (s.listeners[0].rules[1].timeout = -1), 'listeners[0].rules[1].timeout: must be between 0 and'],
    ['a fault status out of range', (s) => (s.listeners[0].rules[1].faults.abort.httpStatus = 700), 'listeners[0].rules[1].faults.abort.httpStatus: must be between 200 and 599'],
    ['a mirror percent above 100', (s) => (s.listeners[0].rules[1].mirror.percent = 101), 'listeners[0].rules[1].mirror.percent: must be between 0 and 100'],
    ['an invalid cookie name', (s) => (s.listeners[0].rules[1].sessionAffinity.cookieName = 'a b'), 'listeners[0].rules[1].sessionAffinity.cookieName: must be a valid cookie name'],
    ['duplicate rule names', (s) => (s.listeners[0].rules[1].name = 'insiders'), 'listeners[0].rules[1].name: duplicate rule name "insiders"'],
    ['duplicate listener names', (s) => s.listeners.push({ ...s.listeners[0], port: 1 }), 'listeners[1].name: duplicate listener name "podinfo"'],
    ['two listeners on one port', (s) => s.listeners.push({ ...s.listeners[0], name: 'other' }), 'listeners[1].port: port 9898 is used by another listener'],
    ['a listener name with a slash', (s) => (s.listeners[0].name = 'a/b'), 'listeners[0].name: must be non-empty and contain no "/"'],
    ['a port out of range', (s) => (s.listeners[0].port = 70000), 'listeners[0].port: must be between 0 and 65535'],
    ['an unknown load-balancing policy', (s) => (s.listeners[0].loadBalancing = 'random'), 'listeners[0].loadBalancing: must be "least-request" or "round-robin"'],
    ['an ejection percent above 100', (s) => (s.listeners[0].outlierDetection.maxEjectionPercent = 150), 'listeners[0].outlierDetection.maxEjectionPercent: must be between 0 and 100'],
    ['an endpoint without ready', (s) => delete s.backends['podinfo-primary'].endpoints[0].ready, 'backends["podinfo-primary"].endpoints[0].ready: must be a boolean, got undefined'],
    ['an endpoint port of 0', (s) => (s.backends['podinfo-primary'].endpoints[0].port = 0), 'backends["podinfo-primary"].endpoints[0].port: must be between 1 and 65535'],
    ['listeners that are not an array', (s) => (s.listeners = {}), 'listeners: must be an array, got object'],
  ])('rejects %s', (_what, edit, expected) => {
    expect(errorOf(edit)).toContain(expected);
    expect(errorOf(edit).startsWith(expected.split(':')[0] as string)).toBe(true);
  });

  it('rejects a regex that is too long', () => {
    expect(errorOf((s) => (s.listeners[0].rules[0].matches[0].path = { regex: 'a'.repeat(1001) }))).toBe(
      'listeners[0].rules[0].matches[0].path.regex: regular expression longer than 1000 characters',
    );
  });

  it('rejects values that are not objects at all', () => {
    expect(validateSnapshot(null)).toEqual({ ok: false, error: '(snapshot): must be an object, got null' });
    expect(validateSnapshot('v1')).toEqual({ ok: false, error: '(snapshot): must be an object, got string "v1"' });
  });
});
