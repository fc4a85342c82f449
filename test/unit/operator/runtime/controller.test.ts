import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Controller, type Reconciler, type WatchSource } from '../../../../operator/runtime/controller.js';
import { runtimeMetrics } from '../../../../operator/runtime/metrics.js';
import { FakeClock } from './fake-clock.js';

const log = pino({ level: 'silent' });

/** A watch source the test drives by hand. */
function manualSource(initial: string[] = []): WatchSource & { emit(key: string): void; subscribed: boolean } {
  let enqueue: ((key: string) => void) | undefined;
  return {
    description: 'manual',
    get subscribed() {
      return enqueue !== undefined;
    },
    subscribe(fn) {
      enqueue = fn;
      for (const key of initial) fn(key);
      return () => {
        enqueue = undefined;
      };
    },
    emit(key) {
      enqueue?.(key);
    },
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function setup(reconcile: Reconciler, initial: string[] = [], concurrency = 2) {
  const clock = new FakeClock();
  const registry = new Registry();
  const source = manualSource(initial);
  const controller = new Controller({ name: 'test', reconcile, watches: [source], concurrency, log, metrics: runtimeMetrics(registry), clock });
  const value = async (name: string, labels: Record<string, string>): Promise<number> =>
    (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
  return { clock, registry, source, controller, value };
}

describe('Controller', () => {
  it('reconciles the initial keys of its sources, splitting namespace and name', async () => {
    const seen: string[] = [];
    const { controller } = setup(async (req) => void seen.push(`${req.namespace}|${req.name}|${req.key}`), ['ns/a', 'cluster-scoped']);
    controller.start();
    await flush();
    expect(seen.sort()).toEqual(['ns|a|ns/a', '|cluster-scoped|cluster-scoped']);
    await controller.stop();
  });

  it('runs different keys in parallel but one key once at a time, re-running a key changed meanwhile', async () => {
    const gates = new Map<string, ReturnType<typeof deferred>[]>();
    const started: string[] = [];
    const { controller, source } = setup(async ({ key }) => {
      started.push(key);
      const gate = deferred();
      gates.set(key, [...(gates.get(key) ?? []), gate]);
      await gate.promise;
    });
    controller.start();
    source.emit('ns/a');
    source.emit('ns/b');
    await flush();
    expect(started).toEqual(['ns/a', 'ns/b']);
    source.emit('ns/a');
    source.emit('ns/a');
    await flush();
    expect(started).toEqual(['ns/a', 'ns/b']);
    gates.get('ns/a')?.[0]?.resolve();
    await flush();
    // The two re-adds coalesce into one more run.
    expect(started).toEqual(['ns/a', 'ns/b', 'ns/a']);
    gates.get('ns/a')?.[1]?.resolve();
    gates.get('ns/b')?.[0]?.resolve();
    await flush();
    expect(started).toHaveLength(3);
    await controller.stop();
  });

  it('retries a failing key with back-off, passes the retry count, and counts results', async () => {
    const retries: number[] = [];
    let failures = 2;
    const { controller, source, clock, value } = setup(async (_req, ctx) => {
      retries.push(ctx.retries);
      if (failures-- > 0) throw new Error('API server said no');
    });
    controller.start();
    source.emit('ns/x');
    await flush();
    expect(retries).toEqual([0]);
    clock.advance(4);
    await flush();
    expect(retries).toEqual([0]);
    clock.advance(1); // 5 ms
    await flush();
    expect(retries).toEqual([0, 1]);
    clock.advance(10); // then 10 ms
    await flush();
    expect(retries).toEqual([0, 1, 2]);
    expect(await value('sluice_reconcile_errors_total', { controller: 'test' })).toBe(2);
    expect(await value('sluice_reconcile_total', { controller: 'test', result: 'error' })).toBe(2);
    expect(await value('sluice_reconcile_total', { controller: 'test', result: 'success' })).toBe(1);
    await controller.stop();
  });

  it('requeues after the requested delay', async () => {
    let runs = 0;
    const { controller, source, clock } = setup(async () => {
      runs++;
      return { requeueAfterMs: 30_000 };
    });
    controller.start();
    source.emit('ns/canary');
    await flush();
    expect(runs).toBe(1);
    clock.advance(29_999);
    await flush();
    expect(runs).toBe(1);
    clock.advance(1);
    await flush();
    expect(runs).toBe(2);
    await controller.stop();
  });

  it('on stop, unsubscribes, aborts reconciliations in flight and ignores later keys', async () => {
    let aborted = false;
    let runs = 0;
    const { controller, source } = setup(async (_req, { signal }) => {
      runs++;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted = signal.aborted;
      throw new Error('cancelled');
    });
    controller.start();
    source.emit('ns/a');
    await flush();
    await controller.stop();
    expect(aborted).toBe(true);
    expect(source.subscribed).toBe(false);
    expect(controller.running).toBe(false);
    controller.enqueue('ns/b');
    await flush();
    expect(runs).toBe(1);
  });
});
