// promote / abort / retry / pause / resume against the real API server. No operator runs
// here: a fake one watches the Canary for the sluice.dev/action annotation and answers in
// status.manualAction with the request's nonce, as the real one does.
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import { ACTION_ANNOTATION, type Canary, type ManualActionName, type ManualActionStatus, parseActionAnnotation } from '../../../crds/index.js';
import { deleteNamespace, kubeConfig, newNamespace } from '../../harness/index.js';
import { CliProcess, createCanary, ensureCrds, getCanary, isoNow, runCli, setStatus } from './support.js';

let kc: KubeConfig;
let namespace: string;

type Answer = Pick<ManualActionStatus, 'state' | 'message'>;

/** Answers each new request with `decide(action)`; resolves to a stop function once watching. */
async function fakeOperator(name: string, decide: (action: ManualActionName) => Answer | undefined): Promise<{ stop: () => void; seen: string[] }> {
  const seen: string[] = [];
  const controller = await new Watch(kc).watch(
    `/apis/sluice.dev/v1alpha1/namespaces/${namespace}/canaries`,
    { fieldSelector: `metadata.name=${name}` },
    (phase: string, obj: Canary) => {
      if (phase !== 'ADDED' && phase !== 'MODIFIED') return;
      const value = obj.metadata.annotations?.[ACTION_ANNOTATION];
      if (value === undefined || seen.includes(value)) return;
      const parsed = parseActionAnnotation(value);
      // Like the real operator, a request already answered (by an earlier test) is not new.
      if (!parsed.ok || obj.status?.manualAction?.nonce === parsed.request.nonce) return;
      seen.push(value);
      const answer = decide(parsed.request.action);
      if (answer === undefined) return;
      void setStatus(kc, namespace, name, { manualAction: { action: parsed.request.action, nonce: parsed.request.nonce, ...answer, time: isoNow() } });
    },
    () => undefined,
  );
  return { stop: () => controller.abort(), seen };
}

beforeAll(async () => {
  kc = kubeConfig();
  await ensureCrds(kc);
  namespace = await newNamespace('cli-actions');
  await createCanary(kc, namespace, 'podinfo');
  await setStatus(kc, namespace, 'podinfo', { phase: 'Progressing', canaryWeight: 20, lastTransitionTime: isoNow() });
});

afterAll(async () => {
  await deleteNamespace(namespace);
});

describe('manual actions', () => {
  it('promote: sets the annotation with a nonce, waits for the answer, prints Applied', async () => {
    const operator = await fakeOperator('podinfo', () => ({ state: 'Applied', message: 'promoting without further analysis' }));
    try {
      const before = await getCanary(kc, namespace, 'podinfo');
      const { code, stdout } = await runCli(['promote', 'podinfo', '-n', namespace]);
      expect(code).toBe(0);
      const nonce = /\(nonce ([0-9a-f]+)\)/.exec(stdout)?.[1];
      expect(nonce).toMatch(/^[0-9a-f]{12}$/);
      expect(operator.seen).toEqual([`promote:${nonce}`]);
      expect(stdout).toBe(`promote requested for canary "podinfo" in namespace "${namespace}" (nonce ${nonce})\nApplied: promoting without further analysis\n`);
      // No drift for GitOps: the spec (hence the generation) is untouched; only the annotation changed.
      const after = await getCanary(kc, namespace, 'podinfo');
      expect(after.metadata.generation).toBe(before.metadata.generation);
      expect(after.spec).toEqual(before.spec);
      expect(after.metadata.annotations?.[ACTION_ANNOTATION]).toBe(`promote:${nonce}`);
      const managers = (after.metadata as { managedFields?: { manager?: string }[] }).managedFields?.map((m) => m.manager);
      expect(managers).toContain('kubectl-sluice');
    } finally {
      operator.stop();
    }
  });

  it('exits 1 and prints the reason when the operator rejects the action', async () => {
    const operator = await fakeOperator('podinfo', (action) => ({ state: 'Rejected', message: `only a Failed rollout can be retried (${action})` }));
    try {
      const { code, stdout, stderr } = await runCli(['retry', 'canary/podinfo', '--namespace', namespace]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/^retry requested for canary "podinfo"/);
      expect(stderr).toBe('Rejected: only a Failed rollout can be retried (retry)\n');
    } finally {
      operator.stop();
    }
  });

  it('reports Pending and keeps waiting for the final answer', async () => {
    let answers = 0;
    const operator = await fakeOperator('podinfo', () => {
      answers++;
      return { state: 'Pending', message: 'waiting for the next reconcile' };
    });
    try {
      const cli = new CliProcess(['abort', 'podinfo', '-n', namespace]);
      await cli.waitForStdout(/Pending: waiting for the next reconcile/);
      const nonce = /\(nonce ([0-9a-f]+)\)/.exec(cli.stdout)?.[1] ?? '';
      await setStatus(kc, namespace, 'podinfo', { manualAction: { action: 'abort', nonce, state: 'Applied', message: 'rollout aborted', time: isoNow() } });
      const result = await cli.result;
      expect(result.code).toBe(0);
      expect(result.stdout.trimEnd().split('\n').slice(1)).toEqual(['Pending: waiting for the next reconcile', 'Applied: rollout aborted']);
      expect(answers).toBe(1);
    } finally {
      operator.stop();
    }
  });

  it('times out with exit 2 and says the operator may not be running', async () => {
    const { code, stderr, elapsedMs } = await runCli(['pause', 'podinfo', '-n', namespace, '--timeout', '2s']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^no answer to pause within 2s: is the Sluice operator running\?/);
    expect(elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(elapsedMs).toBeLessThan(15_000);
  });

  it('returns at once with --no-wait, leaving the request in place', async () => {
    const { code, stdout } = await runCli(['resume', 'podinfo', '-n', namespace, '--no-wait']);
    expect(code).toBe(0);
    const nonce = /\(nonce ([0-9a-f]+)\)/.exec(stdout)?.[1];
    expect((await getCanary(kc, namespace, 'podinfo')).metadata.annotations?.[ACTION_ANNOTATION]).toBe(`resume:${nonce}`);
    // status shows it as requested and not yet answered.
    const status = await runCli(['status', 'podinfo', '-n', namespace]);
    expect(status.stdout).toContain(`Requested:     resume (nonce ${nonce}), not yet answered by the operator`);
  });

  it('exits 1 when another request replaces ours before the answer', async () => {
    const cli = new CliProcess(['pause', 'podinfo', '-n', namespace, '--timeout', '20s']);
    await cli.waitForStdout(/pause requested/);
    await runCli(['resume', 'podinfo', '-n', namespace, '--no-wait']);
    const result = await cli.result;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^superseded before the operator answered: the annotation now requests resume:[0-9a-f]{12}\n$/);
  });
});
