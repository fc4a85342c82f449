import { decideAccess, serviceAccountOf } from '../../../../operator/config-server/proxy-identity.js';

describe('proxy identity', () => {
  it('recognizes ServiceAccount usernames only', () => {
    expect(serviceAccountOf('system:serviceaccount:team-a:sluice-waypoint')).toEqual({
      namespace: 'team-a',
      serviceAccount: 'sluice-waypoint',
      username: 'system:serviceaccount:team-a:sluice-waypoint',
    });
    expect(serviceAccountOf('alice')).toBeUndefined();
    expect(serviceAccountOf('system:node:worker-1')).toBeUndefined();
    expect(serviceAccountOf('system:serviceaccount:team-a')).toBeUndefined();
    expect(serviceAccountOf('system:serviceaccount:a:b:c')).toBeUndefined();
  });

  it("gives a proxy its own namespace's configuration and no other", () => {
    const id = serviceAccountOf('system:serviceaccount:team-a:waypoint')!;
    expect(decideAccess(id, undefined)).toEqual({ ok: true, namespace: 'team-a' });
    expect(decideAccess(id, 'team-a')).toEqual({ ok: true, namespace: 'team-a' });
    expect(decideAccess(id, 'team-b')).toEqual({ ok: false, reason: expect.stringContaining('may not read the configuration of namespace team-b') });
  });

  it('restricts to the allowed ServiceAccounts when configured', () => {
    const id = serviceAccountOf('system:serviceaccount:team-a:default')!;
    expect(decideAccess(id, undefined, ['sluice-waypoint']).ok).toBe(false);
    expect(decideAccess(id, undefined, ['default', 'sluice-waypoint']).ok).toBe(true);
  });
});
