import { affinityCookie, backendFromCookie, chooseBackend } from '../../../proxy/session-affinity.js';

describe('sticky sessions', () => {
  const rollout = [
    { name: 'podinfo-primary', weight: 80 },
    { name: 'podinfo-canary', weight: 20 },
  ];

  it('keeps a client on the backend named by its cookie', () => {
    // The draw would pick primary; the cookie wins.
    expect(chooseBackend(rollout, 'podinfo-canary', () => 0)).toEqual({ backend: 'podinfo-canary', setCookie: false });
  });

  it('picks by weight and asks for a cookie when the client has none', () => {
    expect(chooseBackend(rollout, undefined, () => 0.95)).toEqual({ backend: 'podinfo-canary', setCookie: true });
  });

  it('re-picks when the remembered backend lost its weight (rollback) or left the rule', () => {
    const rolledBack = [
      { name: 'podinfo-primary', weight: 100 },
      { name: 'podinfo-canary', weight: 0 },
    ];
    expect(chooseBackend(rolledBack, 'podinfo-canary', () => 0.99)).toEqual({ backend: 'podinfo-primary', setCookie: true });
    expect(chooseBackend(rollout, 'somewhere-else', () => 0)).toEqual({ backend: 'podinfo-primary', setCookie: true });
  });

  it('writes and reads the cookie', () => {
    expect(affinityCookie('sticky', 'a b', 90_500)).toBe('sticky=a%20b; Path=/; Max-Age=90; HttpOnly; SameSite=Lax');
    expect(backendFromCookie('a%20b')).toBe('a b');
    expect(backendFromCookie('%zz')).toBeUndefined();
    expect(backendFromCookie('')).toBeUndefined();
  });
});
