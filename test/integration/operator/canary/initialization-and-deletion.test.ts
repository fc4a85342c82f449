// The two ends of a Canary's life on real components (see support.ts): a pod template changed
// while the Canary is still initializing is rolled out like any other new revision, not
// silently taken as the baseline.
import { apps, CanaryTestEnv, canaryFor, sleep } from './support.js';
import { waitFor } from '../../../harness/index.js';

const env = new CanaryTestEnv('canary-lifecycle', '127.18.254.11');

beforeAll(() => env.start(canaryFor()), 120_000);

afterAll(() => env.stop());
// Traffic reached our pod apps, not another test run's on the same addresses.
afterEach(() => expect([...env.addressConflicts]).toEqual([]));

const image = async (name: string): Promise<string | undefined> =>
  (await apps.readNamespacedDeployment({ name, namespace: env.namespace })).spec?.template.spec?.containers[0]?.image;

describe('canary controller: initialization and deletion', () => {
  let port: number;

  it('rolls out a template changed while the Canary is initializing', async () => {
    // The primary is cloned from v1; change the template before initialization is over.
    await waitFor('the primary Deployment', async () => (await image('podinfo-primary').catch(() => undefined)) !== undefined, { timeoutMs: 30_000, intervalMs: 20 });
    const before = await env.readCanary();
    await env.rollOut('v2');
    expect(before.status?.phase ?? 'Initializing').toBe('Initializing');
    expect(await image('podinfo-primary')).toBe('sluice.dev/demo-app:v1');

    port = await env.listenerPort();
    const load = env.clientLoad(port);
    const seen = new Set<string>();
    const done = await env.waitForPhase('Succeeded', 120_000, seen);
    const result = await load.stop();
    expect(seen).toContain('Progressing:25');
    expect(done.status?.lastPromotedSpec).toBe(done.status?.lastAppliedSpec);
    expect(await image('podinfo-primary')).toBe('sluice.dev/demo-app:v2');
    expect(result.meshFailures).toEqual([]);
    await sleep(500);
    expect(await env.versionsServed(port)).toEqual(['v2']);
  });
});
