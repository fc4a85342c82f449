// `kubectl sluice wait` as a CI pipeline runs it: a real child process against the real API
// server, while the test moves the Canary's phase the way the operator would.
import type { KubeConfig } from '@kubernetes/client-node';
import { deleteNamespace, kubeConfig, newNamespace } from '../../harness/index.js';
import { CliProcess, createCanary, ensureCrds, isoNow, runCli, setStatus } from './support.js';

let kc: KubeConfig;
let namespace: string;

beforeAll(async () => {
  kc = kubeConfig();
  await ensureCrds(kc);
  namespace = await newNamespace('cli-wait');
});

afterAll(async () => {
  await deleteNamespace(namespace);
});

async function progressingCanary(name: string): Promise<void> {
  await createCanary(kc, namespace, name);
  await setStatus(kc, namespace, name, { phase: 'Progressing', canaryWeight: 10, lastTransitionTime: isoNow() });
}

const DELAY_MS = 1500;

describe('wait', () => {
  it('exits 0 once the rollout succeeds, not before', async () => {
    await progressingCanary('ok');
    const cli = new CliProcess(['wait', 'ok', '-n', namespace, '--for=succeeded', '--timeout=60s']);
    await cli.waitForStdout(/ok Progressing, weight/);
    const changedAt = Date.now();
    await new Promise((r) => setTimeout(r, DELAY_MS));
    await setStatus(kc, namespace, 'ok', { canaryWeight: 30 });
    await setStatus(kc, namespace, 'ok', { phase: 'Succeeded', canaryWeight: 0, lastTransitionTime: isoNow(), message: 'revision abc promoted' });
    const result = await cli.result;
    const afterChange = Date.now() - changedAt;
    expect(result.code).toBe(0);
    expect(afterChange).toBeGreaterThanOrEqual(DELAY_MS);
    expect(result.stdout).toMatch(/ok Progressing, weight \[[█░]+\] 30%/);
    expect(result.stdout).toMatch(/canary "ok" is Succeeded: succeeded \(after \d+s\): revision abc promoted\n$/);
  });

  it('exits 1 when the opposite phase is reached', async () => {
    await progressingCanary('bad');
    const cli = new CliProcess(['wait', 'bad', '-n', namespace, '--for=succeeded', '--timeout=60s']);
    await cli.waitForStdout(/bad Progressing/);
    await setStatus(kc, namespace, 'bad', { phase: 'Failed', canaryWeight: 0, lastTransitionTime: isoNow(), message: 'rolled back: request-success-rate 80 below 99' });
    const result = await cli.result;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/canary "bad" is Failed, so it will not be succeeded \(after \d+s\): rolled back: request-success-rate 80 below 99/);
  });

  it('waiting for failed is satisfied by Failed', async () => {
    await progressingCanary('doomed');
    const cli = new CliProcess(['wait', 'doomed', '-n', namespace, '--for=failed', '--timeout=60s']);
    await cli.waitForStdout(/doomed Progressing/);
    await setStatus(kc, namespace, 'doomed', { phase: 'Failed', lastTransitionTime: isoNow() });
    expect((await cli.result).code).toBe(0);
  });

  it('promoted is reached as soon as promotion starts', async () => {
    await progressingCanary('promo');
    const cli = new CliProcess(['wait', 'promo', '-n', namespace, '--for=promoted', '--timeout=60s']);
    await cli.waitForStdout(/promo Progressing/);
    await setStatus(kc, namespace, 'promo', { phase: 'Promoting', lastTransitionTime: isoNow() });
    const result = await cli.result;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/canary "promo" is Promoting: promoted/);
  });

  it('exits 2 on timeout, after about the timeout', async () => {
    await progressingCanary('stuck');
    const { code, stderr, elapsedMs } = await runCli(['wait', 'stuck', '-n', namespace, '--for=succeeded', '--timeout=2s']);
    expect(code).toBe(2);
    expect(stderr).toBe('timed out after 2s waiting for canary "stuck" to be succeeded (phase Progressing)\n');
    expect(elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(elapsedMs).toBeLessThan(15_000);
  });

  it('with --since, ignores the Succeeded of the previous rollout', async () => {
    await createCanary(kc, namespace, 'again');
    await setStatus(kc, namespace, 'again', { phase: 'Succeeded', lastTransitionTime: isoNow(-3_600_000) });
    const before = await runCli(['wait', 'again', '-n', namespace, '--for=succeeded', '--timeout=0']);
    expect(before.code).toBe(0);
    const cli = new CliProcess(['wait', 'again', '-n', namespace, '--for=succeeded', '--since=10s', '--timeout=60s']);
    await cli.waitForStdout(/again Succeeded/);
    await setStatus(kc, namespace, 'again', { phase: 'Progressing', lastTransitionTime: isoNow() });
    await cli.waitForStdout(/again Progressing/);
    await setStatus(kc, namespace, 'again', { phase: 'Succeeded', lastTransitionTime: isoNow() });
    const result = await cli.result;
    expect(result.code).toBe(0);
    expect(result.stdout.match(/ again Succeeded/g)).toHaveLength(2);
  });

  it('exits 4 when the canary is deleted while waiting', async () => {
    await progressingCanary('gone');
    const cli = new CliProcess(['wait', 'gone', '-n', namespace, '--for=succeeded', '--timeout=60s']);
    await cli.waitForStdout(/gone Progressing/);
    const { CustomObjectsApi } = await import('@kubernetes/client-node');
    await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', plural: 'canaries', namespace, name: 'gone' });
    const result = await cli.result;
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/canary "gone" was deleted while waiting for succeeded/);
  });
});
