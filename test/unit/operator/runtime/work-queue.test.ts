import { WorkQueue } from '../../../../operator/runtime/work-queue.js';
import { FakeClock } from './fake-clock.js';

function newQueue(clock = new FakeClock()): { queue: WorkQueue; clock: FakeClock; depths: number[] } {
  const depths: number[] = [];
  const queue = new WorkQueue({ clock, backoff: { initialMs: 5, maxMs: 300_000 }, onDepthChange: (d) => depths.push(d) });
  return { queue, clock, depths };
}

describe('WorkQueue', () => {
  it('hands out keys in FIFO order and deduplicates keys that are waiting', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.depth).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(queue.depth).toBe(0);
  });

  it('never hands the same key to two workers; a re-add during processing runs once more afterwards', async () => {
    const { queue } = newQueue();
    queue.add('a');
    const first = await queue.get();
    expect(first).toBe('a');
    queue.add('a');
    queue.add('a');
    // Being processed: not available to a second worker.
    expect(queue.depth).toBe(0);
    let second: string | undefined;
    void queue.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBeUndefined();
    queue.done('a');
    await Promise.resolve();
    await Promise.resolve();
    expect(second).toBe('a');
    queue.done('a');
    expect(queue.depth).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const { queue } = newQueue();
    const pending = queue.get();
    queue.add('x');
    expect(await pending).toBe('x');
    expect(queue.inFlight).toBe(1);
  });

  it('backs off exponentially per key and resets on forget', async () => {
    const { queue, clock } = newQueue();
    expect(queue.addRateLimited('k')).toBe(5);
    expect(queue.addRateLimited('k')).toBe(10);
    expect(queue.addRateLimited('k')).toBe(20);
    expect(queue.numRequeues('k')).toBe(3);
    // The earliest schedule (5 ms) wins over the later ones.
    expect(queue.scheduledAt('k')).toBe(clock.now() + 5);
    clock.advance(4);
    expect(queue.depth).toBe(0);
    clock.advance(1);
    expect(queue.depth).toBe(1);
    expect(await queue.get()).toBe('k');
    queue.done('k');
    queue.forget('k');
    expect(queue.numRequeues('k')).toBe(0);
    expect(queue.addRateLimited('k')).toBe(5);
  });

  it('keeps back-off separate per key', () => {
    const { queue } = newQueue();
    queue.addRateLimited('a');
    queue.addRateLimited('a');
    expect(queue.addRateLimited('b')).toBe(5);
    expect(queue.numRequeues('a')).toBe(2);
  });

  it('addAfter delivers a key after the delay, keeping the earliest of several schedules', () => {
    const { queue, clock } = newQueue();
    queue.addAfter('t', 30_000);
    queue.addAfter('t', 10_000);
    queue.addAfter('t', 60_000);
    clock.advance(9_999);
    expect(queue.depth).toBe(0);
    clock.advance(1);
    expect(queue.depth).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('addAfter with no delay adds at once', () => {
    const { queue } = newQueue();
    queue.addAfter('now', 0);
    expect(queue.depth).toBe(1);
  });

  it('shutDown releases waiting workers, drops queued and scheduled keys and ignores new ones', async () => {
    const { queue, clock } = newQueue();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('late');
    queue.addAfter('later', 10);
    clock.advance(100);
    expect(queue.depth).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('drained() waits for the keys in flight to be done', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    await queue.get();
    queue.shutDown();
    let drained = false;
    void queue.drained().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    queue.done('a');
    await Promise.resolve();
    expect(drained).toBe(true);
  });

  it('reports depth changes for the gauge', async () => {
    const { queue, depths } = newQueue();
    queue.add('a');
    queue.add('b');
    await queue.get();
    expect(depths).toEqual([1, 2, 1]);
  });
});
