// Informers against the real API server: the cache follows adds, updates and deletes, custom
// indexes answer "the EndpointSlices of Service X", a watch that the server ends is resumed,
// and a restarted informer reconciles what changed while it was away.
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Informer } from '../../../../operator/runtime/informer.js';
import { runtimeMetrics } from '../../../../operator/runtime/metrics.js';
import { Resources, SERVICE_NAME_LABEL } from '../../../../operator/runtime/resource-type.js';
import { deleteNamespace, kubeConfig, newNamespace, waitFor } from '../../../harness/index.js';

const log = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });
const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const discovery = config.makeApiClient(k8s.DiscoveryV1Api);

let namespace: string;
const informers: Informer<k8s.KubernetesObject>[] = [];

beforeAll(async () => {
  namespace = await newNamespace('informer');
});
afterAll(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  await deleteNamespace(namespace);
});

function track<T extends k8s.KubernetesObject>(informer: Informer<T>): Informer<T> {
  informers.push(informer as unknown as Informer<k8s.KubernetesObject>);
  return informer;
}

type Seen = { type: string; name: string; data?: string; oldData?: string; initial?: boolean };

describe('Informer', () => {
  it('lists, then follows adds, updates and deletes of ConfigMaps', async () => {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'before' }, data: { v: '0' } } });
    const informer = track(new Informer<k8s.V1ConfigMap>(config, { resource: Resources.ConfigMap, namespace, log }));
    const seen: Seen[] = [];
    informer.addHandler({
      onAdd: (cm, initial) => seen.push({ type: 'add', name: cm.metadata?.name ?? '', data: cm.data?.v, initial }),
      onUpdate: (old, cm) => seen.push({ type: 'update', name: cm.metadata?.name ?? '', data: cm.data?.v, oldData: old.data?.v }),
      onDelete: (cm) => seen.push({ type: 'delete', name: cm.metadata?.name ?? '' }),
    });
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    expect(seen).toEqual(expect.arrayContaining([{ type: 'add', name: 'before', data: '0', initial: true }]));
    // Listed and watched objects look alike.
    expect(informer.get(namespace, 'before')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });

    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'cm' }, data: { v: '1' } } });
    await waitFor('the add', async () => informer.get(namespace, 'cm')?.data?.v === '1', { timeoutMs: 10_000, intervalMs: 50 });
    await core.replaceNamespacedConfigMap({ name: 'cm', namespace, body: { metadata: { name: 'cm' }, data: { v: '2' } } });
    await waitFor('the update', async () => informer.get(namespace, 'cm')?.data?.v === '2', { timeoutMs: 10_000, intervalMs: 50 });
    await core.deleteNamespacedConfigMap({ name: 'cm', namespace });
    await waitFor('the delete', async () => informer.get(namespace, 'cm') === undefined, { timeoutMs: 10_000, intervalMs: 50 });

    const forCm = seen.filter((s) => s.name === 'cm');
    expect(forCm).toEqual([
      { type: 'add', name: 'cm', data: '1', initial: false },
      { type: 'update', name: 'cm', data: '2', oldData: '1' },
      { type: 'delete', name: 'cm' },
    ]);
    expect(informer.list(namespace).map((c) => c.metadata?.name)).toContain('before');
  }, 30_000);

  it('indexes EndpointSlices by Service and answers lookups from the cache', async () => {
    const informer = track(
      new Informer<k8s.V1EndpointSlice>(config, {
        resource: Resources.EndpointSlice,
        namespace,
        log,
        indexers: { service: (s) => [s.metadata?.labels?.[SERVICE_NAME_LABEL] ?? ''] },
      }),
    );
    informer.start();
    await informer.waitForSync();
    const slice = (name: string, service: string, ip: string): k8s.V1EndpointSlice => ({
      metadata: { name, labels: { [SERVICE_NAME_LABEL]: service, 'endpointslice.kubernetes.io/managed-by': 'sluice-test' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    await discovery.createNamespacedEndpointSlice({ namespace, body: slice('web-a', 'web', '198.18.0.10') });
    await discovery.createNamespacedEndpointSlice({ namespace, body: slice('web-b', 'web', '198.18.0.11') });
    await discovery.createNamespacedEndpointSlice({ namespace, body: slice('api-a', 'api', '198.18.0.12') });
    await waitFor('three slices in the cache', async () => informer.list(namespace).length === 3, { timeoutMs: 10_000, intervalMs: 50 });
    expect(informer.byIndex('service', 'web').map((s) => s.metadata?.name).sort()).toEqual(['web-a', 'web-b']);
    expect(informer.byIndex('service', 'api').map((s) => s.endpoints[0]?.addresses[0])).toEqual(['198.18.0.12']);

    // Relabelled to another Service: it moves between index entries.
    await discovery.patchNamespacedEndpointSlice(
      { name: 'web-b', namespace, body: { metadata: { labels: { [SERVICE_NAME_LABEL]: 'api' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await waitFor('web-b to move to api', async () => informer.byIndex('service', 'api').length === 2, { timeoutMs: 10_000, intervalMs: 50 });
    expect(informer.byIndex('service', 'web').map((s) => s.metadata?.name)).toEqual(['web-a']);
  }, 30_000);

  it('resumes after the server ends its watch, without losing events', async () => {
    const registry = new Registry();
    const metrics = runtimeMetrics(registry);
    const informer = track(
      new Informer<k8s.V1Secret>(config, { resource: Resources.Secret, namespace, log, metrics, watchTimeoutSeconds: [1, 1] }),
    );
    informer.start();
    await informer.waitForSync();
    // The server closes each watch after one second; keep changing things across several watches.
    for (let i = 0; i < 4; i++) {
      await core.createNamespacedSecret({ namespace, body: { metadata: { name: `s${i}` }, stringData: { k: String(i) } } });
      await new Promise((r) => setTimeout(r, 700));
    }
    await waitFor('all four secrets', async () => [0, 1, 2, 3].every((i) => informer.get(namespace, `s${i}`)), { timeoutMs: 10_000, intervalMs: 50 });
    const restarts = (await registry.getSingleMetric('sluice_informer_watch_restarts_total')?.get())?.values ?? [];
    const closed = restarts.find((v) => v.labels.reason === 'closed')?.value ?? 0;
    expect(closed).toBeGreaterThanOrEqual(2);
    // Only the initial list: resuming needs no relist.
    const lists = (await registry.getSingleMetric('sluice_informer_lists_total')?.get())?.values ?? [];
    expect(lists.find((v) => v.labels.result === 'success')?.value).toBe(1);
  }, 30_000);

  it('when restarted, relists and reports what changed while it was stopped', async () => {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'stays' } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'goes' } } });
    const informer = track(new Informer<k8s.V1ServiceAccount>(config, { resource: Resources.ServiceAccount, namespace, log }));
    informer.start();
    await informer.waitForSync();
    expect(informer.get(namespace, 'goes')).toBeDefined();
    await informer.stop();

    await core.deleteNamespacedServiceAccount({ name: 'goes', namespace });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'arrives' } } });
    const seen: string[] = [];
    informer.addHandler({
      onAdd: (sa) => seen.push(`add:${sa.metadata?.name}`),
      onDelete: (sa) => seen.push(`delete:${sa.metadata?.name}`),
    });
    seen.length = 0; // drop the replay of the cache to the new handler
    informer.start();
    await waitFor('the relist', async () => seen.includes('delete:goes') && seen.includes('add:arrives'), { timeoutMs: 10_000, intervalMs: 50 });
    expect(informer.get(namespace, 'goes')).toBeUndefined();
    expect(informer.get(namespace, 'stays')).toBeDefined();
  }, 30_000);

  it('keeps retrying with growing back-off while the API server is unreachable, and stops promptly', async () => {
    const unreachable = new k8s.KubeConfig();
    unreachable.loadFromOptions({
      clusters: [{ name: 'gone', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'nobody', token: 'x' }],
      contexts: [{ name: 'gone', cluster: 'gone', user: 'nobody' }],
      currentContext: 'gone',
    });
    const registry = new Registry();
    const informer = new Informer<k8s.V1ConfigMap>(unreachable, {
      resource: Resources.ConfigMap,
      log,
      metrics: runtimeMetrics(registry),
      backoff: { initialMs: 100, maxMs: 10_000 },
    });
    informer.start();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(informer.synced).toBe(false);
    expect(informer.lastError).toMatch(/ECONNREFUSED/);
    const errors = (await registry.getSingleMetric('sluice_informer_lists_total')?.get())?.values.find((v) => v.labels.result === 'error')?.value ?? 0;
    // Attempts at about 0, 0.1, 0.3, 0.7 and 1.5 s: a few, not a busy loop.
    expect(errors).toBeGreaterThanOrEqual(3);
    expect(errors).toBeLessThanOrEqual(6);
    const stopping = Date.now();
    await informer.stop();
    expect(Date.now() - stopping).toBeLessThan(500);
    expect(await informer.waitForSync()).toBe(false);
  }, 20_000);
});
