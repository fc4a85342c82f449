// The config server driving a real `sluice-proxy` process (built in dist/) over the stream:
// the proxy authenticates with a real ServiceAccount token, applies what is published and
// routes real traffic with it, NACKs what its validator rejects, reports live counters, and
// keeps routing with its last snapshot while the config server is gone. Reached by address
// over HTTPS, it verifies the certificate against --control-plane-server-name.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigServer } from '../../../../operator/config-server/config-server.js';
import { TokenReviewAuthenticator } from '../../../../operator/config-server/token-authenticator.js';
import type { Snapshot } from '../../../../proxy/snapshot.js';
import { freePort } from '../../../harness/control-plane.js';
import { CertificateAuthority } from '../../../harness/pki.js';
import { ManagedProcess } from '../../../harness/managed-process.js';
import { deleteNamespace, kubeConfig, newNamespace, repoRoot, waitFor } from '../../../harness/index.js';

const log = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });
const config = kubeConfig();
const core = config.makeApiClient(k8s.CoreV1Api);
const dir = mkdtempSync(join(tmpdir(), 'sluice-proxy-stream-'));
const cleanups: (() => Promise<void> | void)[] = [];

let namespace: string;
beforeAll(async () => {
  namespace = await newNamespace('cfg-proxy');
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await deleteNamespace(namespace);
});

async function backend(name: string): Promise<number> {
  const server: Server = createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function startConfigServer(port: number, tls?: { cert: string; key: string }): Promise<ConfigServer> {
  const server = new ConfigServer({
    authenticator: new TokenReviewAuthenticator({ kubeConfig: config, log }),
    log,
    registry: new Registry(),
    host: '127.0.0.1',
    port,
    ...(tls ? { tls } : { plaintext: true }),
  });
  await server.listen();
  cleanups.push(() => server.close());
  return server;
}

function snapshot(version: string, listenerPort: number, target: 'a' | 'b', ports: { a: number; b: number }): Snapshot {
  return {
    version,
    listeners: [{ name: 'web', port: listenerPort, rules: [{ name: 'all', backends: [{ name: target, weight: 1 }] }] }],
    backends: {
      a: { endpoints: [{ address: '127.0.0.1', port: ports.a, ready: true }] },
      b: { endpoints: [{ address: '127.0.0.1', port: ports.b, ready: true }] },
    },
  };
}

describe('config server and a real proxy process', () => {
  it('routes with what is published, NACKs what is invalid, reports counters and survives the server going away', async () => {
    const main = join(repoRoot, 'dist/proxy/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'sluice-waypoint' } } });
    const token = await core.createNamespacedServiceAccountToken({ name: 'sluice-waypoint', namespace, body: { spec: { audiences: [] } } });
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, token.status?.token ?? '');
    const ports = { a: await backend('backend-a'), b: await backend('backend-b') };
    const [configPort, listenerPort, adminPort] = [await freePort(), await freePort(), await freePort()];

    let server = await startConfigServer(configPort);
    server.publish(namespace, 'v1', snapshot('v1', listenerPort, 'a', ports));
    const proxy = new ManagedProcess({
      name: 'sluice-proxy',
      command: process.execPath,
      args: [
        main,
        `--control-plane-url=http://127.0.0.1:${configPort}`,
        `--token-file=${tokenFile}`,
        `--admin-port=${adminPort}`,
        '--bind-address=127.0.0.1',
        '--proxy-id=waypoint-0',
      ],
      logFile: join(dir, 'proxy.log'),
    });
    cleanups.push(() => proxy.stop());

    await server.waitUntilApplied(namespace, 'v1', { timeoutMs: 20_000 });
    expect(server.appliedBy(namespace).proxies).toEqual([expect.objectContaining({ proxyId: 'waypoint-0', serviceAccount: 'sluice-waypoint', ackedVersion: 'v1' })]);
    expect(await get(listenerPort)).toEqual({ status: 200, body: 'backend-a' });

    // The proxy's own validator rejects this one; the proxy keeps v1.
    const invalid = snapshot('v2', listenerPort, 'a', ports);
    invalid.listeners[0]!.rules[0]!.backends = [{ name: 'missing', weight: 1 }];
    server.publish(namespace, 'v2', invalid);
    await waitFor('the NACK', async () => server.appliedBy(namespace).nacked === 1, { timeoutMs: 10_000, intervalMs: 20 });
    expect(server.appliedBy(namespace).proxies[0]?.nack).toMatchObject({ version: 'v2', error: expect.stringContaining('unknown backend "missing"') });
    expect(await get(listenerPort)).toEqual({ status: 200, body: 'backend-a' });

    await waitFor(
      'a stats report counting the requests',
      async () => (server.stats.latestOf(namespace, 'waypoint-0')?.report.backends.a?.requests ?? 0) >= 2,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(server.stats.latestOf(namespace, 'waypoint-0')?.report.snapshotVersion).toBe('v1');

    // The operator goes away: traffic keeps flowing on the last snapshot.
    await server.close();
    for (let i = 0; i < 10; i++) expect(await get(listenerPort)).toEqual({ status: 200, body: 'backend-a' });

    // A new operator comes back on the same address with a new version.
    server = await startConfigServer(configPort);
    server.publish(namespace, 'v3', snapshot('v3', listenerPort, 'b', ports));
    await server.waitUntilApplied(namespace, 'v3', { timeoutMs: 20_000 });
    expect(await get(listenerPort)).toEqual({ status: 200, body: 'backend-b' });
    expect(proxy.running).toBe(true);
  }, 60_000);

  it('verifies the config server by --control-plane-server-name when it reaches it by address', async () => {
    const main = join(repoRoot, 'dist/proxy/main.js');
    const serviceName = 'sluice-operator.sluice-system.svc';
    const ca = CertificateAuthority.create('sluice-server-name-ca');
    // Like the chart's certificate: DNS names of the Service only, no IP address.
    const serving = ca.serverCertificate(serviceName, ['sluice-operator', serviceName], []);
    const caFile = join(dir, 'server-name-ca.crt');
    writeFileSync(caFile, ca.certPem);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'sluice-waypoint' } } }).catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
    const token = await core.createNamespacedServiceAccountToken({ name: 'sluice-waypoint', namespace, body: { spec: { audiences: [] } } });
    const tokenFile = join(dir, 'server-name-token');
    writeFileSync(tokenFile, token.status?.token ?? '');
    const ports = { a: await backend('backend-a'), b: await backend('backend-b') };
    const configPort = await freePort();
    const server = await startConfigServer(configPort, { cert: serving.certPem, key: serving.keyPem });
    server.publish(namespace, 'sn-1', snapshot('sn-1', await freePort(), 'a', ports));

    const start = async (id: string, extra: string[]): Promise<ManagedProcess> => {
      const proxy = new ManagedProcess({
        name: `sluice-proxy-${id}`,
        command: process.execPath,
        args: [
          main,
          `--control-plane-url=https://127.0.0.1:${configPort}`,
          `--control-plane-ca-file=${caFile}`,
          `--token-file=${tokenFile}`,
          `--admin-port=${await freePort()}`,
          '--bind-address=127.0.0.1',
          `--proxy-id=${id}`,
          ...extra,
        ],
        logFile: join(dir, `proxy-${id}.log`),
      });
      cleanups.push(() => proxy.stop());
      return proxy;
    };
    const named = await start('named', [`--control-plane-server-name=${serviceName}`]);
    const unnamed = await start('unnamed', []);
    const misnamed = await start('misnamed', ['--control-plane-server-name=sluice-operator.elsewhere.svc']);

    await waitFor('the proxy with the server name to apply sn-1', async () => server.appliedBy(namespace).proxies.some((p) => p.proxyId === 'named' && p.ackedVersion === 'sn-1'), {
      timeoutMs: 20_000,
      intervalMs: 50,
      describe: () => named.tail(20),
    });
    // Without the name the proxy checks 127.0.0.1 against the certificate, and a wrong name
    // is wrong: both keep retrying and never get a stream.
    await waitFor(
      'both others to fail the certificate check',
      async () =>
        readFileSync(join(dir, 'proxy-unnamed.log'), 'utf8').includes("IP: 127.0.0.1 is not in the cert's list") &&
        readFileSync(join(dir, 'proxy-misnamed.log'), 'utf8').includes("Host: sluice-operator.elsewhere.svc. is not in the cert's altnames"),
      { timeoutMs: 20_000, intervalMs: 100, describe: () => `${unnamed.tail(10)}\n${misnamed.tail(10)}` },
    );
    expect(server.appliedBy(namespace).proxies.map((p) => p.proxyId).filter((id) => ['named', 'unnamed', 'misnamed'].includes(id))).toEqual(['named']);
    expect([named.running, unnamed.running, misnamed.running]).toEqual([true, true, true]);
  }, 60_000);
});
