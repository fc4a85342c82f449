// `get` and `status` (plain and --watch) against the real API server, with the test playing
// the operator: it writes Canary status and Events and the CLI must show them.
import type { KubeConfig } from '@kubernetes/client-node';
import { deleteNamespace, kubeConfig, newNamespace } from '../../harness/index.js';
import { CliProcess, createCanary, ensureCrds, isoNow, recordEvent, runCli, setStatus } from './support.js';

let kc: KubeConfig;
let namespace: string;
let otherNamespace: string;

beforeAll(async () => {
  kc = kubeConfig();
  await ensureCrds(kc);
  namespace = await newNamespace('cli-get');
  otherNamespace = await newNamespace('cli-get-other');
  const podinfo = await createCanary(kc, namespace, 'podinfo');
  await createCanary(kc, namespace, 'backend');
  await createCanary(kc, otherNamespace, 'frontend');
  await setStatus(kc, namespace, 'podinfo', {
    phase: 'Progressing',
    canaryWeight: 40,
    failedChecks: 1,
    lastTransitionTime: isoNow(-125_000),
    message: 'advanced to 40%',
    analysisResults: [
      { metric: 'request-success-rate', value: 99.5, thresholdRange: { min: 99 }, verdict: 'Passed', time: isoNow(-30_000) },
      { metric: 'request-duration', value: 612, thresholdRange: { max: 500 }, verdict: 'Failed', message: 'p99 above the maximum', time: isoNow(-30_000) },
    ],
    conditions: [{ type: 'Ready', status: 'False', reason: 'Progressing', message: 'rollout in progress', lastTransitionTime: isoNow(-125_000) }],
    manualAction: { action: 'pause', nonce: 'n1', state: 'Applied', message: 'rollout paused', time: isoNow(-60_000) },
  });
  await setStatus(kc, namespace, 'backend', { phase: 'Succeeded', canaryWeight: 0, failedChecks: 0, lastTransitionTime: isoNow(-3_600_000) });
  await recordEvent(kc, podinfo, 'Warning', 'AnalysisFailed', 'request-duration 612 above 500');
});

afterAll(async () => {
  await deleteNamespace(namespace);
  await deleteNamespace(otherNamespace);
});

describe('get', () => {
  it('lists the canaries of a namespace as a table', async () => {
    const { code, stdout } = await runCli(['get', '-n', namespace]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n').map((l) => l.split(/ {3,}/));
    expect(lines[0]).toEqual(['NAME', 'PHASE', 'WEIGHT', 'FAILED CHECKS', 'LAST TRANSITION']);
    expect(lines[1]).toEqual(['backend', 'Succeeded', '0', '0', '60m']);
    expect(lines[2]?.slice(0, 4)).toEqual(['podinfo', 'Progressing', '40', '1']);
    expect(lines[2]?.[4]).toMatch(/^2m\d+s$/);
    expect(lines).toHaveLength(3);
  });

  it('lists every namespace with -A', async () => {
    const { code, stdout } = await runCli(['get', '-A']);
    expect(code).toBe(0);
    const rows = stdout.split('\n').map((l) => l.split(/ {3,}/).slice(0, 2).join('/'));
    expect(rows).toEqual(expect.arrayContaining([`${namespace}/backend`, `${namespace}/podinfo`, `${otherNamespace}/frontend`]));
    expect(stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+PHASE/);
  });

  it('prints JSON and YAML as the API server stores the canaries, without managedFields', async () => {
    const json = await runCli(['get', '-n', namespace, '-o', 'json']);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as { kind: string; items: { kind: string; metadata: { name: string; managedFields?: unknown }; status?: { canaryWeight?: number } }[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.metadata.name).sort()).toEqual(['backend', 'podinfo']);
    expect(list.items.every((i) => i.kind === 'Canary' && i.metadata.managedFields === undefined)).toBe(true);
    const yaml = await runCli(['get', 'podinfo', '-n', namespace, '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/^apiVersion: sluice\.dev\/v1alpha1\nkind: Canary\n/);
    expect(yaml.stdout).toContain('canaryWeight: 40');
  });

  it('says so on stderr when a namespace has none', async () => {
    const empty = await newNamespace('cli-get-empty');
    try {
      const { code, stdout, stderr } = await runCli(['get', '--namespace', empty]);
      expect(code).toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toBe(`No canaries found in ${empty} namespace.\n`);
    } finally {
      await deleteNamespace(empty);
    }
  });
});

describe('status', () => {
  it('shows weight, checks, analysis, the last action, conditions and Events', async () => {
    const { code, stdout } = await runCli(['status', 'podinfo', '-n', namespace]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Canary:        podinfo in namespace ${namespace}`);
    expect(stdout).toMatch(/Phase: +Progressing \(for 2m\d+s, since /);
    expect(stdout).toContain('Weight:        [████████░░░░░░░░░░░░] 40%   (step 10%, max 50%)');
    expect(stdout).toContain('Failed checks: 1/5 (rolls back at 5)');
    expect(stdout).toMatch(/request-duration +612 +<= 500 +Failed +p99 above the maximum/);
    expect(stdout).toMatch(/Last action: +pause \(nonce n1\) Applied \d+s ago: rollout paused/);
    expect(stdout).toMatch(/Ready +False +Progressing/);
    expect(stdout).toMatch(/Warning +AnalysisFailed +request-duration 612 above 500/);
  });

  it('prints each change as a line when watching without a terminal, and exits when done', async () => {
    await setStatus(kc, namespace, 'podinfo', { phase: 'Progressing', canaryWeight: 10, lastTransitionTime: isoNow(), message: 'step 1' });
    const watch = new CliProcess(['status', 'podinfo', '-n', namespace, '--watch', '--exit-on-done']);
    try {
      await watch.waitForStdout(/Weight: +\[██░+\] 10%/);
      for (const weight of [20, 30, 40]) {
        await setStatus(kc, namespace, 'podinfo', { canaryWeight: weight, message: `advanced to ${weight}%` });
        await watch.waitForStdout(new RegExp(`podinfo Progressing, weight \\[[█░]+\\] ${weight}%, failed checks \\d/5: advanced to ${weight}%`));
      }
      const pod = (await import('./support.js')).getCanary;
      await recordEvent(kc, await pod(kc, namespace, 'podinfo'), 'Normal', 'Promoted', 'revision abc promoted');
      await watch.waitForStdout(/event Normal Promoted: revision abc promoted/);
      await setStatus(kc, namespace, 'podinfo', { phase: 'Succeeded', canaryWeight: 0, lastTransitionTime: isoNow(), message: 'revision abc promoted' });
      const result = await watch.result;
      expect(result.code).toBe(0);
      // Plain lines only: no cursor movement or colour for logs.
      expect(result.stdout).not.toContain('\u001b');
      const weights = [...result.stdout.matchAll(/^\S+ podinfo \w+, weight \[[█░]+\] (\d+)%/gm)].map((m) => Number(m[1]));
      expect(weights).toEqual([20, 30, 40, 0]);
      expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d{4}-\d\d-\d\dT\S+Z podinfo Succeeded, weight \[░+\] 0%/);
    } finally {
      watch.kill();
    }
  });

  it('exits 1 with --exit-on-done when the rollout fails', async () => {
    await setStatus(kc, namespace, 'backend', { phase: 'Progressing', canaryWeight: 10, lastTransitionTime: isoNow() });
    const watch = new CliProcess(['status', 'backend', '-n', namespace, '-w', '--exit-on-done']);
    try {
      await watch.waitForStdout(/Phase: +Progressing/);
      await setStatus(kc, namespace, 'backend', { phase: 'Failed', canaryWeight: 0, lastTransitionTime: isoNow(), message: 'rolled back' });
      const result = await watch.result;
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/backend Failed, weight .* 0%, failed checks 0\/5: rolled back/);
    } finally {
      watch.kill();
    }
  });

  it('redraws the whole view, in colour, on a terminal', async () => {
    await setStatus(kc, namespace, 'backend', { phase: 'Progressing', canaryWeight: 10, lastTransitionTime: isoNow(), message: 'step 1' });
    const watch = new CliProcess(['status', 'backend', '-n', namespace, '--watch', '--exit-on-done'], { terminal: true, env: { TERM: 'xterm-256color' } });
    try {
      await watch.waitForStdout(/Weight: +\[██░+\] 10%/);
      await setStatus(kc, namespace, 'backend', { canaryWeight: 50, message: 'step 5' });
      await watch.waitForStdout(/Weight: +\[█{10}░{10}\] 50%/);
      await setStatus(kc, namespace, 'backend', { phase: 'Succeeded', canaryWeight: 0, lastTransitionTime: isoNow() });
      const result = await watch.result;
      expect(result.code).toBe(0);
      // The screen is cleared once, then every frame overwrites the last from the top.
      expect(result.stdout.split('\u001b[2J')).toHaveLength(2);
      const screens = result.stdout.split('\u001b[H').filter((s) => s !== '' && s !== '\u001b[2J');
      expect(screens.length).toBeGreaterThanOrEqual(3);
      // Every frame is a full view, not a line of changes.
      for (const screen of screens) expect(screen).toMatch(/^Canary: +\S*backend/);
      expect(screens.at(-1)).toContain(`Phase:         \u001b[32mSucceeded\u001b[39m`);
      expect(result.stdout).toContain('Watching for changes; Ctrl-C to stop.');
    } finally {
      watch.kill();
    }
  });
});
