// Controllers on a Manager against the real API server: reconciliation is serialized per key
// and level-triggered (a burst of changes coalesces, the last state wins), failures retry with
// back-off and are counted, mapped watches enqueue the right keys, requeueAfter fires, and the
// Event recorder writes one aggregated Event for a flood of identical ones.
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { watch } from '../../../../operator/runtime/controller.js';
import { Manager } from '../../../../operator/runtime/manager.js';
import { Resources } from '../../../../operator/runtime/resource-type.js';
import { deleteNamespace, kubeConfig, newNamespace, waitFor } from '../../../harness/index.js';

const log = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });
const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let namespace: string;
let manager: Manager;
let registry: Registry;

beforeAll(async () => {
  namespace = await newNamespace('controller');
});
afterEach(async () => {
  await manager?.stop();
});
afterAll(async () => {
  await deleteNamespace(namespace);
});

function newManager(): Manager {
  registry = new Registry();
  manager = new Manager({
    kubeConfig: config,
    log,
    registry,
    identity: 'test-operator',
    watchNamespace: namespace,
    eventAggregation: { minWriteIntervalMs: 300 },
  });
  return manager;
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  const match = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return match?.value ?? 0;
}

describe('Controller on a Manager', () => {
  it('never reconciles one key concurrently, and converges on the latest state of a burst of changes', async () => {
    const m = newManager();
    const configMaps = m.informer(Resources.ConfigMap, { labelSelector: 'test=serial' });
    const inFlight = new Set<string>();
    let overlaps = 0;
    let maxParallel = 0;
    const lastSeen = new Map<string, string | undefined>();
    const calls = new Map<string, number>();
    m.addController({
      name: 'serial',
      concurrency: 4,
      watches: [watch(configMaps)],
      reconcile: async ({ key, namespace: ns, name }) => {
        if (inFlight.has(key)) overlaps++;
        inFlight.add(key);
        maxParallel = Math.max(maxParallel, inFlight.size);
        calls.set(key, (calls.get(key) ?? 0) + 1);
        await sleep(40);
        lastSeen.set(key, configMaps.get(ns, name)?.data?.v);
        inFlight.delete(key);
      },
    });
    await m.start();
    const names = ['a', 'b', 'c'];
    await Promise.all(
      names.map((name) => core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { test: 'serial' } }, data: { v: '0' } } })),
    );
    // 15 quick updates to each: far fewer reconciliations, never overlapping per key.
    for (let v = 1; v <= 15; v++) {
      await Promise.all(
        names.map((name) =>
          core.replaceNamespacedConfigMap({ name, namespace, body: { metadata: { name, labels: { test: 'serial' } }, data: { v: String(v) } } }),
        ),
      );
    }
    await waitFor('every key reconciled at its final state', async () => names.every((n) => lastSeen.get(`${namespace}/${n}`) === '15'), {
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    await sleep(200);
    expect(overlaps).toBe(0);
    expect(maxParallel).toBeGreaterThan(1);
    for (const n of names) expect(calls.get(`${namespace}/${n}`)).toBeLessThan(16);
    expect(await metricValue('sluice_reconcile_total', { controller: 'serial', result: 'success' })).toBeGreaterThanOrEqual(3);
    const durations = await registry.getSingleMetric('sluice_reconcile_duration_seconds')?.get();
    expect(durations?.values.find((v) => v.labels.controller === 'serial' && (v as { metricName?: string }).metricName?.endsWith('_count'))?.value).toBeGreaterThanOrEqual(3);
  }, 30_000);

  it('retries failures with growing back-off, counts them, and honours requeueAfter', async () => {
    const m = newManager();
    const configMaps = m.informer(Resources.ConfigMap, { labelSelector: 'test=retry' });
    const attempts: number[] = [];
    const retriesSeen: number[] = [];
    let ticks = 0;
    m.addController({
      name: 'retry',
      watches: [watch(configMaps)],
      reconcile: async ({ name }, { retries }) => {
        if (name === 'flaky') {
          attempts.push(Date.now());
          retriesSeen.push(retries);
          if (attempts.length <= 4) throw new Error(`attempt ${attempts.length} fails`);
          return;
        }
        ticks++;
        return ticks < 3 ? { requeueAfterMs: 150 } : undefined;
      },
    });
    await m.start();
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'flaky', labels: { test: 'retry' } } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'timer', labels: { test: 'retry' } } } });
    await waitFor('the fifth attempt to succeed', async () => attempts.length >= 5, { timeoutMs: 10_000, intervalMs: 20 });
    await waitFor('three timer ticks', async () => ticks >= 3, { timeoutMs: 10_000, intervalMs: 20 });
    expect(retriesSeen.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    // 5, 10, 20, 40 ms: each gap at least the back-off.
    const gaps = attempts.slice(1, 5).map((t, i) => t - (attempts[i] ?? t));
    [5, 10, 20, 40].forEach((min, i) => expect(gaps[i]).toBeGreaterThanOrEqual(min - 2));
    expect(await metricValue('sluice_reconcile_errors_total', { controller: 'retry' })).toBe(4);
    expect(await metricValue('sluice_reconcile_total', { controller: 'retry', result: 'error' })).toBe(4);
    expect(await metricValue('sluice_reconcile_total', { controller: 'retry', result: 'requeue_after' })).toBe(2);
  }, 30_000);

  it('maps changes of one kind onto keys of another', async () => {
    const m = newManager();
    const configMaps = m.informer(Resources.ConfigMap, { labelSelector: 'test=mapped' });
    const secrets = m.informer(Resources.Secret, { labelSelector: 'test=mapped' });
    const reconciled: string[] = [];
    m.addController({
      name: 'mapped',
      watches: [
        watch(configMaps),
        // A Secret enqueues the ConfigMap named in its "owner" label.
        watch(secrets, (s) => {
          const owner = s.metadata?.labels?.owner;
          return owner ? [{ namespace: s.metadata?.namespace ?? '', name: owner }] : [];
        }),
      ],
      reconcile: async ({ name }) => {
        reconciled.push(name);
      },
    });
    await m.start();
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner-cm', labels: { test: 'mapped' } } } });
    await waitFor('the initial reconcile', async () => reconciled.includes('owner-cm'), { timeoutMs: 10_000, intervalMs: 20 });
    reconciled.length = 0;
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'dep', labels: { test: 'mapped', owner: 'owner-cm' } } } });
    await waitFor('the mapped reconcile', async () => reconciled.includes('owner-cm'), { timeoutMs: 10_000, intervalMs: 20 });
    expect(reconciled).not.toContain('dep');
  }, 30_000);

  it('writes one Event for a flood of identical ones, with the count of all of them', async () => {
    const m = newManager();
    await m.start();
    const cm = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'noisy' } } });
    const target = { ...cm, apiVersion: 'v1', kind: 'ConfigMap' };
    for (let i = 0; i < 200; i++) m.recorder.warning(target, 'BackendServiceMissing', 'Service "podinfo-canary" not found', 'Reconcile');
    m.recorder.normal(target, 'Synced', 'all good');
    await m.recorder.flush();
    await waitFor(
      'the aggregated count',
      async () => {
        await m.recorder.flush();
        const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=noisy' });
        return events.items.find((e) => e.reason === 'BackendServiceMissing')?.count === 200;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=noisy' });
    expect(events.items.map((e) => e.reason).sort()).toEqual(['BackendServiceMissing', 'Synced']);
    const warning = events.items.find((e) => e.reason === 'BackendServiceMissing');
    expect(warning).toMatchObject({
      type: 'Warning',
      message: 'Service "podinfo-canary" not found',
      action: 'Reconcile',
      reportingComponent: 'sluice-operator',
      reportingInstance: 'test-operator',
      involvedObject: { kind: 'ConfigMap', name: 'noisy', namespace, uid: cm.metadata?.uid },
    });
    expect(await metricValue('sluice_events_total', { reason: 'BackendServiceMissing', action: 'create' })).toBe(1);
  }, 30_000);

  it('reports readiness only once its informers have synced', async () => {
    const m = newManager();
    m.informer(Resources.Service);
    expect(m.readiness()).toBe('not started');
    await m.start();
    await m.waitForCacheSync();
    expect(m.readiness()).toBeUndefined();
  }, 30_000);
});
