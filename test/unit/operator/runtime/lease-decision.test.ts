import { decideLease, expiresAt, observe, releasedRecord, validateTiming, type LeaseRecord } from '../../../../operator/runtime/lease-decision.js';

const T0 = 1_700_000_000_000;
const held = (holder: string, renewTime = new Date(T0).toISOString()): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 14,
  acquireTime: new Date(T0 - 60_000).toISOString(),
  renewTime,
  leaseTransitions: 3,
});

describe('lease decisions', () => {
  it('creates a missing lease, holding it from now', () => {
    const d = decideLease({ current: undefined, observation: undefined, identity: 'me', now: T0, leaseDurationSeconds: 14 });
    expect(d).toEqual({
      action: 'create',
      record: { holderIdentity: 'me', leaseDurationSeconds: 14, acquireTime: new Date(T0).toISOString(), renewTime: new Date(T0).toISOString(), leaseTransitions: 0 },
    });
  });

  it('renews its own lease, keeping acquireTime and the transition count', () => {
    const d = decideLease({ current: held('me'), observation: undefined, identity: 'me', now: T0 + 2000, leaseDurationSeconds: 14 });
    expect(d.action).toBe('update');
    if (d.action !== 'update') return;
    expect(d.acquired).toBe(false);
    expect(d.record.acquireTime).toBe(held('me').acquireTime);
    expect(d.record.renewTime).toBe(new Date(T0 + 2000).toISOString());
    expect(d.record.leaseTransitions).toBe(3);
  });

  it('waits for a live lease of another holder, measured on the local clock from when the record was first seen', () => {
    const record = held('other');
    // The holder's renewTime is far in the past by our clock (skew): that alone must not expire it.
    const skewed = { ...record, renewTime: new Date(T0 - 3_600_000).toISOString() };
    const observation = observe(undefined, skewed, T0);
    const d = decideLease({ current: skewed, observation, identity: 'me', now: T0 + 13_999, leaseDurationSeconds: 14 });
    expect(d).toEqual({ action: 'wait', holder: 'other', expiresAt: T0 + 14_000 });
  });

  it('takes over once the record has not changed for the lease duration', () => {
    const record = held('other');
    const observation = observe(undefined, record, T0);
    const d = decideLease({ current: record, observation, identity: 'me', now: T0 + 14_000, leaseDurationSeconds: 14 });
    expect(d.action).toBe('update');
    if (d.action !== 'update') return;
    expect(d.acquired).toBe(true);
    expect(d.record.holderIdentity).toBe('me');
    expect(d.record.leaseTransitions).toBe(4);
    expect(d.record.acquireTime).toBe(new Date(T0 + 14_000).toISOString());
  });

  it('restarts the expiry clock whenever the holder renews', () => {
    const first = observe(undefined, held('other'), T0);
    const same = observe(first, held('other'), T0 + 5000);
    expect(same.observedAt).toBe(T0);
    const renewed = observe(same, held('other', new Date(T0 + 2000).toISOString()), T0 + 6000);
    expect(renewed.observedAt).toBe(T0 + 6000);
    expect(expiresAt(renewed)).toBe(T0 + 20_000);
  });

  it('treats a record it has never observed as freshly observed now', () => {
    const stale = observe(undefined, held('other', new Date(T0 - 62_000).toISOString()), T0 - 60_000);
    const current = held('other', new Date(T0).toISOString());
    const d = decideLease({ current, observation: stale, identity: 'me', now: T0, leaseDurationSeconds: 14 });
    expect(d).toEqual({ action: 'wait', holder: 'other', expiresAt: T0 + 14_000 });
  });

  it('takes a released lease at once', () => {
    const released = releasedRecord(held('other'), T0);
    expect(released.holderIdentity).toBe('');
    expect(released.leaseDurationSeconds).toBe(1);
    const d = decideLease({ current: released, observation: observe(undefined, released, T0), identity: 'me', now: T0, leaseDurationSeconds: 14 });
    expect(d.action === 'update' && d.acquired).toBe(true);
  });

  it('rejects inconsistent timings', () => {
    expect(() => validateTiming({ leaseDurationMs: 14_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).not.toThrow();
    expect(() => validateTiming({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).toThrow(/greater than renewDeadline/);
    expect(() => validateTiming({ leaseDurationMs: 14_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(/retryPeriod/);
    expect(() => validateTiming({ leaseDurationMs: 14_500, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).toThrow(/whole number/);
  });
});
