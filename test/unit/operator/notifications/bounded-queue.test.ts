import { DropOldestQueue } from '../../../../operator/notifications/bounded-queue.js';

describe('DropOldestQueue', () => {
  it('is first in, first out', () => {
    const q = new DropOldestQueue<number>(3);
    expect([q.push(1), q.push(2)]).toEqual([undefined, undefined]);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([1, 2, undefined]);
    expect(q.length).toBe(0);
  });

  it('drops and returns the oldest item when full', () => {
    const q = new DropOldestQueue<string>(2);
    q.push('a');
    q.push('b');
    expect(q.push('c')).toBe('a');
    expect(q.length).toBe(2);
    expect(q.push('d')).toBe('b');
    expect(q.drain()).toEqual(['c', 'd']);
    expect(q.length).toBe(0);
  });

  it('refuses a capacity below one', () => {
    expect(() => new DropOldestQueue(0)).toThrow(RangeError);
    expect(() => new DropOldestQueue(1.5)).toThrow(RangeError);
  });
});
