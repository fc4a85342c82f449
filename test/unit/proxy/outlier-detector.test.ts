import { newEndpointState, type EndpointState } from '../../../proxy/endpoint-state.js';
import { countEjected, isEjected, recordFailure, recordSuccess } from '../../../proxy/outlier-detector.js';

const settings = { consecutiveFailures: 3, baseEjectionTime: 1_000, maxEjectionTime: 2_500, maxEjectionPercent: 50 };

function pool(n: number): EndpointState[] {
  return Array.from({ length: n }, (_, i) => newEndpointState(`10.0.0.${i + 1}`, 80));
}

function failTimes(e: EndpointState, peers: EndpointState[], times: number, now: number): boolean[] {
  return Array.from({ length: times }, () => recordFailure(e, peers, settings, now));
}

describe('outlier detection', () => {
  it('ejects after the configured run of consecutive failures', () => {
    const peers = pool(4);
    const e = peers[0] as EndpointState;
    expect(failTimes(e, peers, 3, 0)).toEqual([false, false, true]);
    expect(isEjected(e, 999)).toBe(true);
    expect(isEjected(e, 1_000)).toBe(false);
  });

  it('a success resets the run', () => {
    const peers = pool(2);
    const e = peers[0] as EndpointState;
    failTimes(e, peers, 2, 0);
    recordSuccess(e);
    expect(failTimes(e, peers, 2, 0)).toEqual([false, false]);
    expect(isEjected(e, 0)).toBe(false);
  });

  it('ejects for longer each time, up to the maximum', () => {
    const peers = pool(2);
    const e = peers[0] as EndpointState;
    failTimes(e, peers, 3, 0);
    expect(e.ejectedUntil).toBe(1_000);
    failTimes(e, peers, 3, 1_000);
    expect(e.ejectedUntil).toBe(1_000 + 2_000);
    failTimes(e, peers, 3, 3_000);
    expect(e.ejectedUntil).toBe(3_000 + 2_500);
  });

  it('forgets old ejections', () => {
    const peers = pool(2);
    const e = peers[0] as EndpointState;
    failTimes(e, peers, 3, 0);
    failTimes(e, peers, 3, 100_000);
    expect(e.ejectedUntil).toBe(100_000 + 1_000);
  });

  it('ignores failures of requests that were in flight when the endpoint got ejected', () => {
    const peers = pool(2);
    const e = peers[0] as EndpointState;
    failTimes(e, peers, 3, 0);
    expect(failTimes(e, peers, 5, 10)).toEqual([false, false, false, false, false]);
    expect(e.ejectionCount).toBe(1);
  });

  it('does not eject past the maximum share, but always allows one', () => {
    const peers = pool(2);
    failTimes(peers[0] as EndpointState, peers, 3, 0);
    expect(failTimes(peers[1] as EndpointState, peers, 3, 0)).toEqual([false, false, false]);
    expect(countEjected(peers, 0)).toBe(1);

    const single = pool(1);
    expect(failTimes(single[0] as EndpointState, single, 3, 0)).toEqual([false, false, true]);
  });

  it('is off when consecutiveFailures is 0', () => {
    const peers = pool(1);
    const off = { ...settings, consecutiveFailures: 0 };
    for (let i = 0; i < 100; i++) expect(recordFailure(peers[0] as EndpointState, peers, off, 0)).toBe(false);
    expect(isEjected(peers[0] as EndpointState, 0)).toBe(false);
  });
});
