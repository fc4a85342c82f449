import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Snapshot } from '../../../proxy/snapshot.js';
import { Client, countBy, endpointsOf, expectNoLeakedSockets, runConcurrently, sleep, startBackend, startProxy, type TestBackend } from './helpers.js';

let primary: TestBackend;
let primary2: TestBackend;
let canary: TestBackend;

beforeAll(async () => {
  primary = await startBackend('primary');
  primary2 = await startBackend('primary');
  canary = await startBackend('canary');
});

afterAll(async () => {
  await Promise.all([primary.close(), primary2.close(), canary.close()]);
});

function rollout(version: string, canaryWeight: number, primaryEndpoints: TestBackend[] = [primary]): Snapshot {
  return {
    version,
    listeners: [
      {
        name: 'web',
        port: 0,
        rules: [
          {
            name: 'rollout',
            backends: [
              { name: 'podinfo-primary', weight: 100 - canaryWeight },
              { name: 'podinfo-canary', weight: canaryWeight },
            ],
          },
        ],
      },
    ],
    backends: {
      'podinfo-primary': { endpoints: endpointsOf(...primaryEndpoints) },
      'podinfo-canary': { endpoints: endpointsOf(canary) },
    },
  };
}

describe('snapshot swaps', () => {
  it('serve every request while the snapshot is swapped 1,000 times under continuous load', async () => {
    const running = await startProxy(rollout('v0', 0));
    const client = new Client(16);
    let stop = false;
    const statuses: Record<string, number> = {};
    const errors: string[] = [];
    const bodies: Record<string, number> = {};
    const load = Array.from({ length: 16 }, async () => {
      while (!stop) {
        try {
          const r = await client.request(running.port, { timeoutMs: 5_000 });
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          bodies[r.body] = (bodies[r.body] ?? 0) + 1;
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    });
    try {
      // Weights step 0 → 100 → 0 by 5 (41 snapshots per cycle); endpoints change every 10 swaps.
      const steps = [...Array.from({ length: 21 }, (_, i) => i * 5), ...Array.from({ length: 20 }, (_, i) => 95 - i * 5)];
      for (let i = 1; i <= 1_000; i++) {
        const weight = steps[i % steps.length] as number;
        const endpoints = Math.floor(i / 10) % 2 === 0 ? [primary] : [primary, primary2];
        const result = await running.proxy.applySnapshot(rollout(`v${i}`, weight, endpoints));
        expect(result).toEqual({ ok: true, version: `v${i}` });
        // Let requests through on each version.
        await sleep(2);
      }
      stop = true;
      await Promise.all(load);
      const total = Object.values(statuses).reduce((a, b) => a + b, 0);
      expect(errors).toEqual([]);
      expect(statuses).toEqual({ '200': total });
      expect(total).toBeGreaterThan(3_000);
      expect(bodies.canary ?? 0).toBeGreaterThan(0);
      expect(bodies.primary ?? 0).toBeGreaterThan(0);
      expect(running.proxy.currentVersion).toBe('v1000');

      // A swap takes effect for the very next requests.
      await running.proxy.applySnapshot(rollout('final', 100));
      const after = await runConcurrently(50, 5, () => client.request(running.port));
      expect(countBy(after, (r) => r.body)).toEqual({ canary: 50 });
      client.close();
      await expectNoLeakedSockets(running.proxy, [primary, primary2, canary]);
    } finally {
      stop = true;
      await Promise.all(load);
      client.close();
      await running.stop();
    }
  }, 60_000);

  it('let a request finish on the snapshot it started with', async () => {
    const slow = await startBackend('slow', (_req, res) => setTimeout(() => res.end('slow answer'), 400));
    const running = await startProxy({
      version: 'old',
      listeners: [{ name: 'web', port: 0, rules: [{ name: 'r', timeout: 2_000, backends: [{ name: 'slow', weight: 1 }] }] }],
      backends: { slow: { endpoints: endpointsOf(slow) }, canary: { endpoints: endpointsOf(canary) } },
    });
    const client = new Client();
    try {
      const inFlight = client.request(running.port);
      await sleep(100);
      // The new snapshot routes elsewhere with a timeout the old request would already exceed.
      const applied = await running.proxy.applySnapshot({
        version: 'new',
        listeners: [{ name: 'web', port: 0, rules: [{ name: 'r', timeout: 50, backends: [{ name: 'canary', weight: 1 }] }] }],
        backends: { slow: { endpoints: endpointsOf(slow) }, canary: { endpoints: endpointsOf(canary) } },
      });
      expect(applied.ok).toBe(true);
      expect((await client.request(running.port)).body).toBe('canary');
      expect(await inFlight).toMatchObject({ status: 200, body: 'slow answer' });
    } finally {
      client.close();
      await running.stop();
      await slow.close();
    }
  }, 60_000);

  it('reject an invalid snapshot whole and keep serving the previous one', async () => {
    const running = await startProxy(rollout('good', 0));
    const client = new Client();
    try {
      const broken = rollout('broken', 100) as unknown as { listeners: { rules: { matches?: unknown }[] }[] };
      (broken.listeners[0]?.rules[0] as { matches?: unknown }).matches = [{ headers: [{ name: 'x', regex: '[' }] }];
      const result = await running.proxy.applySnapshot(broken);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toMatch(/^listeners\[0\]\.rules\[0\]\.matches\[0\]\.headers\[0\]\.regex: invalid regular expression "\["/);
      expect(running.proxy.currentVersion).toBe('good');
      expect((await client.request(running.port)).body).toBe('primary');
      const { body } = await running.proxy.metrics.exposition();
      expect(body).toContain('sluice_config_applies_total{result="rejected"} 1');
      expect(body).toContain('sluice_config_version_info{version="good"} 1');
    } finally {
      client.close();
      await running.stop();
    }
  }, 60_000);

  it('open added listeners, drain removed ones, and refuse a snapshot whose port cannot be bound', async () => {
    const running = await startProxy(rollout('one', 0));
    const client = new Client();
    const webPort = running.port;
    const squatter = http.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const takenPort = (squatter.address() as AddressInfo).port;
    try {
      const two: Snapshot = {
        ...rollout('two', 0),
        listeners: [{ name: 'api', port: 0, rules: [{ name: 'r', backends: [{ name: 'podinfo-canary', weight: 1 }] }] }],
      };
      expect((await running.proxy.applySnapshot(two)).ok).toBe(true);
      const apiPort = running.portOf('api');
      expect((await client.request(apiPort)).body).toBe('canary');
      expect(Object.keys(running.proxy.listenerPorts())).toEqual(['api']);
      client.close();
      await expect(new Client().request(webPort, { timeoutMs: 2_000 })).rejects.toThrow(/ECONNREFUSED/);

      const clash: Snapshot = { ...two, version: 'three', listeners: [...two.listeners, { name: 'taken', port: takenPort, rules: [] }] };
      const result = await running.proxy.applySnapshot(clash);
      expect(result).toEqual({ ok: false, error: expect.stringContaining('cannot bind listeners') });
      expect(running.proxy.currentVersion).toBe('two');
      expect((await new Client().request(apiPort)).body).toBe('canary');
    } finally {
      client.close();
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
      await running.stop();
    }
  }, 60_000);
});
