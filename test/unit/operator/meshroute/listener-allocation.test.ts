import { allocateListeners, LISTENER_PORT_RANGE } from '../../../../operator/meshroute/listener-allocation.js';

const claim = (name: string, service: string, created: string, listenerPort?: number) => ({
  name,
  service,
  port: 80,
  creationTimestamp: created,
  ...(listenerPort === undefined ? {} : { listenerPort }),
});

describe('allocateListeners', () => {
  it('gives each route the lowest free port and keeps recorded ones', () => {
    const result = allocateListeners([
      claim('b', 'svc-b', '2026-01-02T00:00:00Z'),
      claim('a', 'svc-a', '2026-01-01T00:00:00Z', 15101),
      claim('c', 'svc-c', '2026-01-03T00:00:00Z'),
    ]);
    expect(result.ports.get('a')).toBe(15101);
    expect(result.ports.get('b')).toBe(15100);
    expect(result.ports.get('c')).toBe(15102);
    expect(result.conflicts.size).toBe(0);
  });

  it('lets the older of two routes for the same Service port win', () => {
    const result = allocateListeners([claim('young', 'web', '2026-02-01T00:00:00Z'), claim('old', 'web', '2026-01-01T00:00:00Z')]);
    expect(result.ports.has('old')).toBe(true);
    expect(result.ports.has('young')).toBe(false);
    expect(result.conflicts.get('young')).toBe('Service web port 80 is already routed by MeshRoute old');
  });

  it('reassigns a duplicated recorded port to the younger route', () => {
    const result = allocateListeners([
      claim('x', 's1', '2026-01-01T00:00:00Z', 15100),
      claim('y', 's2', '2026-01-02T00:00:00Z', 15100),
    ]);
    expect(result.ports.get('x')).toBe(15100);
    expect(result.ports.get('y')).toBe(15101);
  });

  it('ignores recorded ports outside the range and reports exhaustion', () => {
    const size = LISTENER_PORT_RANGE.last - LISTENER_PORT_RANGE.first + 1;
    const claims = Array.from({ length: size + 1 }, (_, i) => claim(`r${String(i).padStart(5, '0')}`, `s${i}`, '2026-01-01T00:00:00Z', i === 0 ? 80 : undefined));
    const result = allocateListeners(claims);
    expect(result.ports.size).toBe(size);
    expect([...result.conflicts.values()]).toEqual([expect.stringMatching(/no free waypoint listener port/)]);
  });
});
