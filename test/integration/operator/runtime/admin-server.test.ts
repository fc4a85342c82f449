// The admin endpoint over real HTTP: liveness, readiness with named checks, and metrics from
// the injected registry (two operators in one process do not share metrics).
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { AdminServer } from '../../../../operator/runtime/admin-server.js';
import { runtimeMetrics } from '../../../../operator/runtime/metrics.js';

const log = pino({ level: 'silent' });

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('AdminServer', () => {
  const servers: AdminServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('answers /healthz, gates /readyz on its checks and serves its own registry on /metrics', async () => {
    const registryA = new Registry();
    const registryB = new Registry();
    runtimeMetrics(registryA).reconcileTotal.inc({ controller: 'meshroute', result: 'success' });
    const a = new AdminServer({ host: '127.0.0.1', port: 0, registry: registryA, log });
    const b = new AdminServer({ host: '127.0.0.1', port: 0, registry: registryB, log });
    servers.push(a, b);
    let synced = false;
    a.addReadinessCheck('informers', () => (synced ? undefined : 'informers not synced: services'));
    const [portA, portB] = [await a.listen(), await b.listen()];

    expect(await get(portA, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get(portA, '/readyz')).toEqual({ status: 503, body: '[-] informers: informers not synced: services\n' });
    synced = true;
    expect((await get(portA, '/readyz')).status).toBe(200);

    const metricsA = await get(portA, '/metrics');
    expect(metricsA.body).toContain('sluice_reconcile_total{controller="meshroute",result="success"} 1');
    expect((await get(portB, '/metrics')).body).not.toContain('controller="meshroute"');
    expect((await get(portA, '/nope')).status).toBe(404);
  }, 30_000);
});
