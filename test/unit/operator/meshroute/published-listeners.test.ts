// The record of which listeners each published version holds: what a proxy's acknowledged
// version is read against to know whether it serves a route.
import { PublishedListeners } from '../../../../operator/meshroute/published-listeners.js';

describe('published listeners', () => {
  it('records the listeners of each version per namespace', () => {
    const record = new PublishedListeners();
    record.record('a', 'v1', [{ name: 'web', port: 15100 }]);
    record.record('a', 'v2', [
      { name: 'web', port: 15100 },
      { name: 'api', port: 15101 },
    ]);
    record.record('b', 'v1', []);
    expect(record.of('a').get('v1')).toEqual(new Set(['web:15100']));
    expect(record.of('a').get('v2')).toEqual(new Set(['web:15100', 'api:15101']));
    expect(record.of('b').get('v1')).toEqual(new Set());
    expect(record.of('c').size).toBe(0);
  });

  it('keeps the latest versions only, counting a version published again as latest', () => {
    const record = new PublishedListeners(2);
    record.record('a', 'v1', [{ name: 'web', port: 15100 }]);
    record.record('a', 'v2', []);
    // Weights back to what they were: the same content, the same version, published again.
    record.record('a', 'v1', [{ name: 'web', port: 15100 }]);
    record.record('a', 'v3', []);
    expect([...record.of('a').keys()]).toEqual(['v1', 'v3']);
  });

  it('forgets a namespace', () => {
    const record = new PublishedListeners();
    record.record('a', 'v1', [{ name: 'web', port: 15100 }]);
    record.forget('a');
    expect(record.of('a').size).toBe(0);
  });
});
