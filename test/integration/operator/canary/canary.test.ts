// Progressive delivery end to end on real components (see support.ts): a real sluice-operator
// process (canary + MeshRoute controllers, config server), a real sluice-proxy process, and
// the demo app running for every kwok pod of the target and the primary (its version and
// error rate come from the pod's env). A client keeps calling the apex through the waypoint
// the whole time.
import { request } from 'node:http';
import { waitFor } from '../../../harness/index.js';
import { apps, CanaryTestEnv, canaryFor, core, sleep } from './support.js';

const env = new CanaryTestEnv('canary', '127.18.255.2').hooks(() => env.start(canaryFor()));

describe('canary controller', () => {
  let port: number;

  it('initializes: primary serves all traffic, the target is scaled to zero', async () => {
    port = await env.initialize();
    const initialized = await env.readCanary();
    expect(initialized.status?.lastPromotedSpec).toBe(initialized.status?.lastAppliedSpec);
    const primary = await apps.readNamespacedDeployment({ name: 'podinfo-primary', namespace: env.namespace });
    expect(primary.spec?.replicas).toBe(2);
    const load = env.clientLoad(port);
    await sleep(1000);
    const result = await load.stop();
    expect(result.meshFailures).toEqual([]);
    expect(Object.keys(result.byVersion)).toEqual(['v1']);
  });

  it('promotes a healthy revision step by step with no failed client request', async () => {
    const load = env.clientLoad(port);
    await env.rollOut('v2');
    const seen = new Set<string>();
    const done = await env.waitForPhase('Succeeded', 120_000, seen);
    await sleep(1000);
    const result = await load.stop();
    expect(result.meshFailures).toEqual([]);
    expect(result.appErrors).toBe(0);
    expect(seen).toContain('Progressing:25');
    expect(seen).toContain('Progressing:50');
    expect(done.status?.lastPromotedSpec).toBe(done.status?.lastAppliedSpec);
    expect(done.status?.conditions?.find((c) => c.type === 'Promoted')?.status).toBe('True');
    // After promotion everyone gets v2 from the primary.
    expect(await env.versionsServed(port)).toEqual(['v2']);
    const reasons = await env.eventReasons();
    for (const reason of ['Progressing', 'WeightIncreased', 'Promoting', 'Promoted']) expect(reasons).toContain(reason);
  });

  it('rolls back a revision answering 30% errors, and says how fast', async () => {
    const load = env.clientLoad(port);
    await env.rollOut('v3', { errorRate: 0.3 });
    const failed = await env.waitForPhase('Failed', 120_000);
    const rolledBackAt = Date.now();
    await sleep(1000);
    const result = await load.stop();
    expect(result.meshFailures).toEqual([]);
    expect(failed.status?.canaryWeight).toBe(0);
    expect(failed.status?.failedChecks).toBe(2);
    expect(failed.status?.message).toMatch(/request-success-rate/);
    expect(failed.status?.lastPromotedSpec).not.toBe(failed.status?.lastAppliedSpec);
    // Clients see v2 only again.
    expect(await env.versionsServed(port)).toEqual(['v2']);
    process.stdout.write(
      `[canary] threshold judge: ${result.appErrors} failed client requests of ${result.sent}; ` +
        `${((rolledBackAt - (result.firstAppErrorAt ?? rolledBackAt)) / 1000).toFixed(1)} s from the first bad response to Failed\n`,
    );
  });

  it('hands traffic back to the Deployment when the Canary is deleted', async () => {
    const load = env.clientLoad(port);
    await env.deleteCanary();
    // Clients keep going through the waypoint until the apex Service selects the Deployment's
    // pods again (the waypoint keeps the listener draining a few seconds after that).
    await waitFor(
      'the apex Service to select the Deployment again',
      async () => JSON.stringify((await core.readNamespacedService({ name: 'podinfo', namespace: env.namespace })).spec?.selector) === JSON.stringify({ app: 'podinfo' }),
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    const result = await load.stop();
    expect(result.meshFailures).toEqual([]);
    expect(result.sent).toBeGreaterThan(10);
    await env.waitForCanaryGone();
    const deployment = await apps.readNamespacedDeployment({ name: 'podinfo', namespace: env.namespace });
    expect(deployment.spec?.replicas).toBe(2);
    // The Deployment's own pods answer on the apex Service's endpoints, as it now sends them traffic.
    let endpoints = await env.apexEndpoints();
    await waitFor('both pods of the Deployment behind the apex Service', async () => (endpoints = await env.apexEndpoints()).length === 2, { timeoutMs: 10_000, intervalMs: 50 });
    for (const endpoint of endpoints) {
      const answer = await new Promise<number>((resolve) => {
        const req = request({ host: endpoint.host, port: endpoint.port, path: '/', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
        req.end();
      });
      expect([200, 500]).toContain(answer);
    }
    await env.waitForCleanup();
  });
});
