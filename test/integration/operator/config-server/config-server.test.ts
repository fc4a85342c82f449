// The config server with real proxy control-plane clients on loopback, authenticating with
// real ServiceAccount tokens (TokenRequest) checked by the real API server (TokenReview).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigServer, NotAppliedError, type AppliedState, type ConfigServerOptions } from '../../../../operator/config-server/config-server.js';
import { TokenReviewAuthenticator } from '../../../../operator/config-server/token-authenticator.js';
import { ControlPlaneClient, type ControlPlaneEvent } from '../../../../proxy/control-plane-client.js';
import { LATENCY_BUCKETS_MS, type StatsReport } from '../../../../proxy/stats-report.js';
import { CertificateAuthority } from '../../../harness/pki.js';
import { deleteNamespace, kubeConfig, newNamespace, waitFor } from '../../../harness/index.js';

const log = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });
const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const dir = mkdtempSync(join(tmpdir(), 'sluice-config-server-'));
const TIMING = { heartbeatIntervalMs: 300, idleTimeoutMs: 1_200 };

let nsA: string;
let nsB: string;
let tokenFileA: string;
let tokenFileB: string;
const cleanups: (() => Promise<void> | void)[] = [];

async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const request = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { expirationSeconds: 3600, audiences: [] } } });
  const token = request.status?.token;
  if (!token) throw new Error('TokenRequest returned no token');
  return token;
}

function tokenFile(name: string, token: string): string {
  const path = join(dir, name);
  writeFileSync(path, `${token}\n`);
  return path;
}

beforeAll(async () => {
  [nsA, nsB] = await Promise.all([newNamespace('cfg-a'), newNamespace('cfg-b')]);
  tokenFileA = tokenFile('a.token', await serviceAccountToken(nsA, 'waypoint'));
  tokenFileB = tokenFile('b.token', await serviceAccountToken(nsB, 'waypoint'));
}, 60_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await Promise.all([deleteNamespace(nsA), deleteNamespace(nsB)]);
});

async function startServer(overrides: Partial<ConfigServerOptions> = {}): Promise<{ server: ConfigServer; registry: Registry; url: string }> {
  const registry = new Registry();
  const server = new ConfigServer({
    authenticator: new TokenReviewAuthenticator({ kubeConfig: config, log }),
    log,
    registry,
    host: '127.0.0.1',
    port: 0,
    plaintext: true,
    ...TIMING,
    ...overrides,
  });
  const port = await server.listen();
  cleanups.push(() => server.close());
  return { server, registry, url: `${overrides.tls ? 'https' : 'http'}://127.0.0.1:${port}` };
}

interface TestProxy {
  client: ControlPlaneClient;
  applied: string[];
  events: ControlPlaneEvent[];
  reports: number;
}

/** A proxy stand-in: applies snapshots unless they carry `bad: true`, and reports counters. */
function startProxy(url: string, proxyId: string, file: string, extra: { namespace?: string; caFile?: string } = {}): TestProxy {
  const proxy: TestProxy = { applied: [], events: [], reports: 0, client: undefined as unknown as ControlPlaneClient };
  proxy.client = new ControlPlaneClient({
    url,
    proxyId,
    tokenFile: file,
    ...extra,
    ...TIMING,
    statsIntervalMs: 200,
    backoff: { initialMs: 100, maxMs: 1_000 },
    log,
    apply: (snapshot) => {
      const s = snapshot as { version: string; bad?: boolean };
      if (s.bad) return { ok: false, error: `listeners[0].port: must be between 0 and 65535, got 70000 (${s.version})` };
      proxy.applied.push(s.version);
      return { ok: true };
    },
    stats: (): StatsReport => {
      proxy.reports++;
      return {
        proxyId,
        startedAt: 1000,
        at: Date.now(),
        snapshotVersion: proxy.client.appliedVersion ?? '',
        backends: {
          'podinfo-primary': {
            requests: 10 * proxy.reports,
            errors: proxy.reports,
            latencyCounts: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(1),
            latencySumMs: 5 * proxy.reports,
          },
        },
      };
    },
    onEvent: (event) => proxy.events.push(event),
  });
  proxy.client.start();
  cleanups.push(() => proxy.client.stop());
  return proxy;
}

const snapshot = (version: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ version, listeners: [], backends: {}, ...extra });

function rawStream(url: string, query: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/stream?${query}`, { method: 'POST', headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('config server', () => {
  it('refuses a missing or invalid token (401) and another namespace (403), and counts it', async () => {
    const { url, registry } = await startServer();
    const tokenA = readFileSync(tokenFileA, 'utf8').trim();
    expect(await rawStream(url, 'proxyId=p')).toEqual({ status: 401, body: JSON.stringify({ error: 'missing bearer token' }) });
    const forged = await rawStream(url, 'proxyId=p', `${tokenA.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
    const otherNamespace = await rawStream(url, `proxyId=p&namespace=${nsB}`, tokenA);
    expect(otherNamespace.status).toBe(403);
    expect(JSON.parse(otherNamespace.body).error).toContain(`may not read the configuration of namespace ${nsB}`);
    expect((await rawStream(url, '', tokenA)).status).toBe(400);
    const rejected = (await registry.getSingleMetric('sluice_config_rejected_streams_total')?.get())?.values ?? [];
    expect(rejected.find((v) => v.labels.status === '401')?.value).toBe(2);
    expect(rejected.find((v) => v.labels.status === '403')?.value).toBe(1);
  }, 30_000);

  it("delivers each namespace's snapshots to its own proxies only, records ACKs and waits until applied", async () => {
    const { server, url } = await startServer();
    const changes: AppliedState[] = [];
    server.onAppliedChange((state) => changes.push(state));
    server.publish(nsA, 'a1', snapshot('a1'));
    server.publish(nsB, 'b1', snapshot('b1'));
    const p1 = startProxy(url, 'a-proxy-1', tokenFileA);
    const p2 = startProxy(url, 'a-proxy-2', tokenFileA, { namespace: nsA });
    const pb = startProxy(url, 'b-proxy-1', tokenFileB);
    const state = await server.waitUntilApplied(nsA, 'a1', { timeoutMs: 10_000, minProxies: 2 });
    expect(state).toMatchObject({ namespace: nsA, version: 'a1', connected: 2, applied: 2, nacked: 0 });
    expect(state.proxies.map((p) => p.proxyId).sort()).toEqual(['a-proxy-1', 'a-proxy-2']);
    expect(state.proxies.every((p) => p.serviceAccount === 'waypoint' && p.ackedVersion === 'a1')).toBe(true);
    await server.waitUntilApplied(nsB, 'b1', { timeoutMs: 10_000 });
    expect(p1.applied).toEqual(['a1']);
    expect(p2.applied).toEqual(['a1']);
    expect(pb.applied).toEqual(['b1']);

    // A new version: already applied once every proxy ACKs it.
    server.publish(nsA, 'a2', snapshot('a2'));
    expect(server.isApplied(nsA, 'a2')).toBe(false);
    await server.waitUntilApplied(nsA, 'a2', { timeoutMs: 10_000 });
    expect(server.isApplied(nsA, 'a1')).toBe(true); // a later version counts for an earlier one
    expect(p1.applied).toEqual(['a1', 'a2']);
    expect(pb.applied).toEqual(['b1']);
    expect(changes.some((c) => c.namespace === nsA && c.version === 'a2' && c.applied === 2)).toBe(true);
  }, 30_000);

  it('records NACKs with their error; a rejected version is never applied, the next good one is', async () => {
    const { server, url } = await startServer();
    server.publish(nsA, 'good-1', snapshot('good-1'));
    const p1 = startProxy(url, 'p1', tokenFileA);
    const p2 = startProxy(url, 'p2', tokenFileA);
    await server.waitUntilApplied(nsA, 'good-1', { timeoutMs: 10_000, minProxies: 2 });

    server.publish(nsA, 'bad-2', snapshot('bad-2', { bad: true }));
    await waitFor('both NACKs', async () => server.appliedBy(nsA).nacked === 2, { timeoutMs: 10_000, intervalMs: 20 });
    const state = server.appliedBy(nsA);
    expect(state.applied).toBe(0);
    for (const proxy of state.proxies) {
      expect(proxy.nack).toMatchObject({ version: 'bad-2', error: expect.stringContaining('listeners[0].port') });
      expect(proxy.ackedVersion).toBe('good-1'); // still running the last good one
    }
    await expect(server.waitUntilApplied(nsA, 'bad-2', { timeoutMs: 300 })).rejects.toBeInstanceOf(NotAppliedError);
    expect(p1.events).toContainEqual(expect.objectContaining({ type: 'rejected', version: 'bad-2' }));

    server.publish(nsA, 'good-3', snapshot('good-3'));
    await server.waitUntilApplied(nsA, 'good-3', { timeoutMs: 10_000 });
    expect(server.appliedBy(nsA).proxies.every((p) => p.nack === undefined)).toBe(true);
    expect(p2.applied).toEqual(['good-1', 'good-3']);
  }, 30_000);

  it('debounces a burst of publications: proxies get only the latest', async () => {
    const { server, url } = await startServer({ debounceMs: 50 });
    server.publish(nsA, 'v0', snapshot('v0'));
    const p = startProxy(url, 'p', tokenFileA);
    await server.waitUntilApplied(nsA, 'v0', { timeoutMs: 10_000 });
    for (let i = 1; i <= 20; i++) server.publish(nsA, `v${i}`, snapshot(`v${i}`));
    await server.waitUntilApplied(nsA, 'v20', { timeoutMs: 10_000 });
    expect(p.applied).toEqual(['v0', 'v20']);
  }, 30_000);

  it('receives stats reports into the store', async () => {
    const { server, url } = await startServer();
    const seen: string[] = [];
    server.stats.subscribe((s) => seen.push(s.proxyId));
    server.publish(nsA, 's1', snapshot('s1'));
    startProxy(url, 'p1', tokenFileA);
    startProxy(url, 'p2', tokenFileA);
    await waitFor('reports from both proxies', async () => server.stats.latest(nsA).length === 2, { timeoutMs: 10_000, intervalMs: 50 });
    await waitFor('several reports', async () => seen.length >= 6, { timeoutMs: 10_000, intervalMs: 50 });
    const latest = server.stats.latestOf(nsA, 'p1');
    expect(latest?.report.backends['podinfo-primary']?.requests).toBeGreaterThanOrEqual(10);
    expect(latest?.report.backends['podinfo-primary']?.latencyCounts).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
    expect(server.stats.latest(nsB)).toEqual([]);
  }, 30_000);

  it('a proxy keeps its last snapshot while the server is gone and resumes when it returns', async () => {
    const first = await startServer();
    const port = first.server.port;
    first.server.publish(nsA, 'r1', snapshot('r1'));
    const p = startProxy(first.url, 'p', tokenFileA);
    await first.server.waitUntilApplied(nsA, 'r1', { timeoutMs: 10_000 });
    await first.server.close();
    await waitFor('the proxy to notice', async () => !p.client.connected, { timeoutMs: 5_000, intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(p.client.appliedVersion).toBe('r1');
    expect(p.applied).toEqual(['r1']);

    const second = await startServer({ port });
    second.server.publish(nsA, 'r2', snapshot('r2'));
    await second.server.waitUntilApplied(nsA, 'r2', { timeoutMs: 10_000 });
    expect(p.applied).toEqual(['r1', 'r2']);
    expect(p.events.filter((e) => e.type === 'connected').length).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('does not re-apply the same version after a reconnect, but ACKs it', async () => {
    const first = await startServer();
    const port = first.server.port;
    first.server.publish(nsA, 'same', snapshot('same'));
    const p = startProxy(first.url, 'p', tokenFileA);
    await first.server.waitUntilApplied(nsA, 'same', { timeoutMs: 10_000 });
    await first.server.close();
    const second = await startServer({ port });
    second.server.publish(nsA, 'same', snapshot('same'));
    await second.server.waitUntilApplied(nsA, 'same', { timeoutMs: 10_000 });
    expect(p.applied).toEqual(['same']);
  }, 30_000);

  it('re-reads the token file on every attempt: a proxy refused with a bad token gets in once the token is fixed', async () => {
    const { server, url } = await startServer();
    server.publish(nsA, 't1', snapshot('t1'));
    const file = tokenFile('rotating.token', 'not-a-token');
    const p = startProxy(url, 'p', file);
    await waitFor('a refusal', async () => p.events.some((e) => e.type === 'refused' && e.status === 401), { timeoutMs: 10_000, intervalMs: 20 });
    writeFileSync(file, readFileSync(tokenFileA));
    await server.waitUntilApplied(nsA, 't1', { timeoutMs: 10_000 });
    expect(p.applied).toEqual(['t1']);
  }, 30_000);

  it('drops a proxy that goes silent, and a proxy drops a server that goes silent', async () => {
    const { server, url } = await startServer();
    const tokenA = readFileSync(tokenFileA, 'utf8').trim();
    // A client that opens a stream and then says nothing.
    const req = http.request(`${url}/v1/stream?proxyId=mute`, { method: 'POST', headers: { Authorization: `Bearer ${tokenA}` } });
    req.on('error', () => undefined);
    req.flushHeaders();
    await waitFor('the mute proxy to connect', async () => server.proxies(nsA).length === 1, { timeoutMs: 10_000, intervalMs: 20 });
    const connectedAt = Date.now();
    await waitFor('the mute proxy to be dropped', async () => server.proxies(nsA).length === 0, { timeoutMs: 5_000, intervalMs: 20 });
    expect(Date.now() - connectedAt).toBeLessThan(TIMING.idleTimeoutMs + 2 * TIMING.heartbeatIntervalMs + 500);
    req.destroy();

    // A server that answers 200 and then never writes: the client gives up on it and retries.
    const sockets: Socket[] = [];
    let connections = 0;
    const silent: NetServer = createNetServer((socket) => {
      connections++;
      sockets.push(socket);
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n');
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); silent.close(() => resolve()); }));
    const port = (silent.address() as { port: number }).port;
    const p = startProxy(`http://127.0.0.1:${port}`, 'p', tokenFileA);
    await waitFor('the client to give up on the silent server and reconnect', async () => connections >= 2, { timeoutMs: 10_000, intervalMs: 20 });
    expect(p.events.some((e) => e.type === 'disconnected' && e.reason.includes('no word from the control plane'))).toBe(true);
  }, 30_000);

  it('serves HTTPS with a given certificate; a proxy that trusts the CA connects, one that does not cannot', async () => {
    const ca = CertificateAuthority.create('sluice-config-test-ca');
    const serving = ca.serverCertificate('sluice-operator', ['localhost', 'sluice-operator.sluice-system.svc'], ['127.0.0.1']);
    const { server, url } = await startServer({ plaintext: false, tls: { cert: serving.certPem, key: serving.keyPem } });
    server.publish(nsA, 'tls-1', snapshot('tls-1'));
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, ca.certPem);
    const trusting = startProxy(url, 'trusting', tokenFileA, { caFile });
    const other = CertificateAuthority.create('someone-else');
    const otherCaFile = join(dir, 'other-ca.crt');
    writeFileSync(otherCaFile, other.certPem);
    const distrusting = startProxy(url, 'distrusting', tokenFileA, { caFile: otherCaFile });
    await server.waitUntilApplied(nsA, 'tls-1', { timeoutMs: 10_000 });
    expect(trusting.applied).toEqual(['tls-1']);
    await new Promise((r) => setTimeout(r, 500));
    expect(distrusting.applied).toEqual([]);
    expect(distrusting.client.connected).toBe(false);
    expect(server.proxies(nsA).map((p) => p.proxyId)).toEqual(['trusting']);
  }, 30_000);

  it('a standby (not serving) refuses streams with 503 and closes them when it stops serving', async () => {
    const { server, url } = await startServer({ serving: false });
    server.publish(nsA, 'l1', snapshot('l1'));
    const p = startProxy(url, 'p', tokenFileA);
    await waitFor('a 503', async () => p.events.some((e) => e.type === 'refused' && e.status === 503), { timeoutMs: 10_000, intervalMs: 20 });
    server.setServing(true);
    await server.waitUntilApplied(nsA, 'l1', { timeoutMs: 10_000 });
    server.setServing(false);
    await waitFor('the stream to close', async () => !p.client.connected, { timeoutMs: 5_000, intervalMs: 20 });
    expect(server.proxies(nsA)).toEqual([]);
    expect(p.client.appliedVersion).toBe('l1');
  }, 30_000);
});
