import { asExpected, nextStepsLines, timingLines, type RolloutTiming, type Timings } from '../../../playground/next-steps.js';

const promoted: RolloutTiming = { label: 'Rollout 1: v2, healthy', expected: 'promoted', outcome: 'promoted', startedAt: 19_000, endedAt: 36_800, requests: 700, failed: 0, notified: true };
const rolledBack: RolloutTiming = {
  label: 'Rollout 2: v3, 30% of requests fail',
  expected: 'rolled back',
  outcome: 'rolled back',
  startedAt: 39_800,
  endedAt: 50_800,
  requests: 423,
  failed: 26,
  notified: true,
};
const timings: Timings = { controlPlaneReady: 12_700, canaryReady: 19_200, rollouts: [promoted, rolledBack] };

describe('timingLines', () => {
  it('says when each step ended since the start, how long each rollout took and what clients saw', () => {
    expect(timingLines(timings, 50_900, '1302 requests sent, 69 failed')).toEqual([
      'Timings (since the playground started):',
      '  control plane ready:                  at 12.7 s',
      '  demo v1 served through the waypoint:  at 19.2 s',
      '  Rollout 1: v2, healthy:               promoted at 36.8 s (17.8 s after the new revision; no failed requests; notified)',
      '  Rollout 2: v3, 30% of requests fail:  rolled back at 50.8 s (11.0 s after the new revision; 26 of 423 requests failed; notified)',
      '  all done:                             at 50.9 s; clients: 1302 requests sent, 69 failed',
    ]);
  });

  it('says when the final notification never came', () => {
    expect(timingLines({ rollouts: [{ ...promoted, notified: false }] }, 40_000, '')[1]).toMatch(/; no notification received\)$/);
  });
});

describe('asExpected', () => {
  it.each<[string, Timings, boolean]>([
    ['both as planned', timings, true],
    ['the healthy one rolled back', { ...timings, rollouts: [{ ...promoted, outcome: 'rolled back' }, rolledBack] }, false],
    ['the faulty one promoted', { ...timings, rollouts: [promoted, { ...rolledBack, outcome: 'promoted' }] }, false],
    ['one timed out', { ...timings, rollouts: [promoted, { ...rolledBack, outcome: 'timed out' }] }, false],
    ['one missing', { ...timings, rollouts: [promoted] }, false],
  ])('%s', (_name, t, expected) => {
    expect(asExpected(t, 2)).toBe(expected);
  });
});

describe('nextStepsLines', () => {
  const input = { kubeconfigPath: '/tmp/sluice-cp-x/admin.kubeconfig', cliPath: '/repo/dist/cli/main.js', logDir: '/tmp/sluice-playground-y', kubectlFound: true };

  it('prints the KUBECONFIG, the CLI as kubectl-sluice and what to try with it', () => {
    const lines = nextStepsLines(input);
    expect(lines).toContain('  export KUBECONFIG=/tmp/sluice-cp-x/admin.kubeconfig');
    expect(lines).toContain('  alias kubectl-sluice="node /repo/dist/cli/main.js"');
    expect(lines.some((l) => l.startsWith('  kubectl-sluice status demo --watch'))).toBe(true);
    expect(lines).toContain('With kubectl:');
    expect(lines.join('\n')).toMatch(/Logs of every process: \/tmp\/sluice-playground-y/);
  });

  it('says when kubectl is not installed', () => {
    expect(nextStepsLines({ ...input, kubectlFound: false })).toContain('kubectl is not installed here; with it you could also:');
  });
});
