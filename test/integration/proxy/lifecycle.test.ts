import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parse, stringify } from 'yaml';
import { FileConfigSource } from '../../../proxy/file-config-source.js';
import { ProxyServer } from '../../../proxy/proxy-server.js';
import { validateSnapshot, type Snapshot } from '../../../proxy/snapshot.js';
import type { StatsReport } from '../../../proxy/stats-report.js';
import { Client, endpointsOf, silentLogger, singleListener, sleep, startBackend, waitFor, type TestBackend } from './helpers.js';

let app: TestBackend;

beforeAll(async () => {
  app = await startBackend('app');
});

afterAll(async () => {
  await app.close();
});

function config(version: string): Snapshot {
  return singleListener([{ name: 'r', backends: [{ name: 'app', weight: 1 }] }], { app: { endpoints: endpointsOf(app) } }, {}, version);
}

describe('admin port', () => {
  it('reports health, readiness, metrics, config and live stats, and is not reachable through a route', async () => {
    const proxy = new ProxyServer({ bindAddress: '127.0.0.1', adminPort: 0, logger: silentLogger, proxyId: 'test-proxy' });
    const admin = new Client();
    const traffic = new Client();
    try {
      await proxy.start();
      const port = proxy.adminPort;
      expect(await admin.request(port, { path: '/healthz' })).toMatchObject({ status: 200, body: 'ok\n' });
      expect(await admin.request(port, { path: '/readyz' })).toMatchObject({ status: 503, body: 'not ready: no configuration received yet\n' });
      expect(JSON.parse((await admin.request(port, { path: '/config' })).body)).toEqual({ version: null, snapshot: null });

      expect(await proxy.applySnapshot(config('v1'))).toEqual({ ok: true, version: 'v1' });
      expect(await admin.request(port, { path: '/readyz' })).toMatchObject({ status: 200, body: 'ready\n' });
      const trafficPort = proxy.listenerPorts().web as number;
      await traffic.request(trafficPort);

      const view = JSON.parse((await admin.request(port, { path: '/config' })).body) as { version: string; listenerPorts: Record<string, number>; snapshot: Snapshot };
      expect(view.version).toBe('v1');
      expect(view.listenerPorts).toEqual({ web: trafficPort });
      expect(view.snapshot).toEqual(config('v1'));

      const metrics = await admin.request(port, { path: '/metrics' });
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      expect(metrics.body).toContain('sluice_config_version_info{version="v1"} 1');
      expect(metrics.body).toContain('sluice_requests_total{route="web/r",backend="app",code="200",mirrored="false"} 1');
      expect(metrics.body).toContain('sluice_requests_in_flight{listener="web"} 0');

      const stats = JSON.parse((await admin.request(port, { path: '/stats' })).body) as StatsReport;
      expect(stats).toMatchObject({ proxyId: 'test-proxy', snapshotVersion: 'v1', backends: { app: { requests: 1, errors: 0 } } });
      expect(proxy.statsReport().backends.app?.requests).toBe(1);

      // The traffic port routes /metrics like any other path; it never exposes the admin API.
      const leaked = await traffic.request(trafficPort, { path: '/metrics' });
      expect(leaked.body).toBe('app');
      expect((await admin.request(port, { path: '/nope' })).status).toBe(404);
    } finally {
      admin.close();
      traffic.close();
      await proxy.stop();
    }
  }, 30_000);
});

describe('graceful stop', () => {
  it('turns unready, lets requests in flight finish, then closes', async () => {
    const slow = await startBackend('slow', (_req, res) => setTimeout(() => res.end('finished'), 500));
    const proxy = new ProxyServer({ bindAddress: '127.0.0.1', adminPort: 0, logger: silentLogger, drainTimeoutMs: 5_000 });
    const client = new Client();
    try {
      await proxy.start();
      await proxy.applySnapshot(singleListener([{ name: 'r', backends: [{ name: 'slow', weight: 1 }] }], { slow: { endpoints: endpointsOf(slow) } }));
      const port = proxy.listenerPorts().web as number;
      const adminPort = proxy.adminPort;
      const inFlight = client.request(port);
      await sleep(100);
      const stopped = proxy.stop();
      await sleep(50);
      expect(proxy.ready).toBe(false);
      await expect(new Client().request(port, { timeoutMs: 1_000 })).rejects.toThrow(/ECONNREFUSED/);
      expect(await inFlight).toMatchObject({ status: 200, body: 'finished' });
      await stopped;
      await expect(new Client().request(adminPort, { path: '/healthz', timeoutMs: 1_000 })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      client.close();
      await proxy.stop();
      await slow.close();
    }
  }, 30_000);
});

describe('file config source', () => {
  it('applies the file, reloads it on change and keeps the last good snapshot on a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-proxy-'));
    const file = join(dir, 'config.yaml');
    // Written like editors and ConfigMap mounts do: a new file renamed over the old.
    const write = async (content: string) => {
      await writeFile(`${file}.tmp`, content);
      await rename(`${file}.tmp`, file);
    };
    const proxy = new ProxyServer({ bindAddress: '127.0.0.1', adminPort: 0, logger: silentLogger });
    const source = new FileConfigSource(file, silentLogger, { pollIntervalMs: 5_000, debounceMs: 20 });
    try {
      await write(stringify(config('from-file-1')));
      await proxy.start();
      await source.start(proxy);
      expect(proxy.currentVersion).toBe('from-file-1');

      await write(JSON.stringify(config('from-file-2')));
      await waitFor('the changed file to be applied', () => proxy.currentVersion === 'from-file-2', 3_000);

      await write('listeners: [unclosed');
      await sleep(300);
      await write(stringify({ ...config('invalid'), listeners: 'no' }));
      await sleep(300);
      expect(proxy.currentVersion).toBe('from-file-2');
      const client = new Client();
      expect((await client.request(proxy.listenerPorts().web as number)).body).toBe('app');
      client.close();

      await write(stringify(config('from-file-3')));
      await waitFor('the fixed file to be applied', () => proxy.currentVersion === 'from-file-3', 3_000);
    } finally {
      await source.stop();
      await proxy.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('the example config', () => {
  it('is a valid snapshot', async () => {
    const raw: unknown = parse(await readFile(resolve('proxy/examples/canary.yaml'), 'utf8'));
    const result = validateSnapshot(raw);
    expect(result.ok ? 'valid' : result.error).toBe('valid');
  });
});

describe('sluice-proxy executable', () => {
  it('serves from a config file and exits cleanly on SIGTERM', async () => {
    const main = resolve('dist/proxy/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-proxy-'));
    const file = join(dir, 'config.yaml');
    await writeFile(file, stringify(config('exe-1')));
    const child = spawn(process.execPath, [main, '--config-file', file, '--admin-port', '0', '--bind-address', '127.0.0.1', '--access-log'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const logs: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const client = new Client();
    try {
      await waitFor('the proxy to listen', () => logs.some((l) => l.msg === 'listening') && logs.some((l) => l.msg === 'config file applied'), 10_000);
      const trafficPort = logs.find((l) => l.msg === 'listening')?.port as number;
      const adminPort = logs.find((l) => l.msg === 'admin listening')?.port as number;
      expect(await client.request(trafficPort, { path: '/via-exe' })).toMatchObject({ status: 200, body: 'app' });
      expect((await client.request(adminPort, { path: '/readyz' })).status).toBe(200);
      const metrics = (await client.request(adminPort, { path: '/metrics' })).body;
      // Process metrics are on in the executable.
      expect(metrics).toContain('process_resident_memory_bytes');
      await waitFor('the access log line', () => logs.some((l) => l.msg === 'access' && l.url === '/via-exe' && l.status === 200), 5_000);
      client.close();

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs.some((l) => l.msg === 'stopped')).toBe(true);
      expect(stderr).toBe('');
    } finally {
      client.close();
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('refuses to start without a config source, saying why', async () => {
    const main = resolve('dist/proxy/main.js');
    const child = spawn(process.execPath, [main, '--admin-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_CONFIG_FILE: '' } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(stderr).toContain('no config source: pass --config-file');
  }, 30_000);
});
