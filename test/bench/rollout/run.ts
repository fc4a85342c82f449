// `npm run bench:rollout`: how fast a bad revision loses its traffic, and how many client
// requests fail meanwhile, for the threshold judge and the compare judge. Everything is real
// and on loopback (a local control plane, the operator, two waypoint pods running sluice-proxy,
// the demo app's pods, clients at 100 req/s; see test/harness/rollout-env.ts):
//
// - errors: the new revision answers 20% of requests with a 500;
// - latency: the new revision takes 75 ms per request, 3× the stable version's p99 (25 ms).
//
// Figure: seconds from the first bad answer a client got from the canary to the last request
// the canary served (no canary traffic from then on), with the same analysis settings for
// every judge (interval BENCH_INTERVAL, default 10s; threshold 5, as in Flagger's tutorials);
// and that time as a share of Flagger's documented time to roll back with its defaults.
//
// Judges, all reading the same evidence where they can:
//   threshold (builtin)     request-success-rate ≥ 99%, request-duration p99 ≤ 60 ms on the proxies' live counters
//   compare (builtin)       canary against primary on the live counters (sequential error test, Mann-Whitney latency)
//   threshold (Prometheus)  the same thresholds as PromQL MetricTemplates on a Prometheus scraping the waypoints
import { ControlPlane } from '../../harness/control-plane.js';
import type { CanaryAnalysis } from '../../../crds/canary.js';
import { LATENCY_LIMIT_MS, RolloutEnv, type AppEnv } from '../../harness/rollout-env.js';
import { rolloutFigures, type RolloutFigures } from '../../harness/rollout-figures.js';
import type { LoadSample } from '../../harness/load-generator.js';

const INTERVAL = process.env.BENCH_INTERVAL ?? '10s';
const INTERVAL_S = Number(/^(\d+)s$/.exec(INTERVAL)?.[1] ?? NaN);
const THRESHOLD = 5;
/**
 * Flagger's documented defaults and rollback time, cited from its docs (fluxcd/flagger):
 * - docs/gitbook/usage/how-it-works.md, "Canary analysis": `interval: # schedule interval (default 60s)`;
 * - docs/gitbook/usage/deployment-strategies.md: "the time it takes for a canary to be rollback
 *   when the metrics or webhook checks are failing: interval * threshold";
 * - `threshold` has no documented default; the tutorials use 5
 *   (docs/gitbook/tutorials/istio-progressive-delivery.md: `interval: 1m`, `threshold: 5`).
 */
const FLAGGER = { intervalS: 60, threshold: 5 };
const FLAGGER_ROLLBACK_S = FLAGGER.intervalS * FLAGGER.threshold;

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Judge {
  name: string;
  prometheus: boolean;
  analysis: () => Partial<CanaryAnalysis>;
}

const base = { interval: INTERVAL, threshold: THRESHOLD, stepWeight: 20, maxWeight: 60, webhooks: undefined, alerts: undefined };
const JUDGES: Judge[] = [
  {
    name: 'threshold (builtin)',
    prometheus: false,
    analysis: () => ({
      ...base,
      metrics: [
        { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: INTERVAL },
        { name: 'request-duration', thresholdRange: { max: LATENCY_LIMIT_MS }, interval: INTERVAL },
      ],
      judge: { mode: 'threshold', minRequests: 20, confidence: 0.95, maxRelativeDegradation: 0.1 },
    }),
  },
  {
    name: 'compare (builtin)',
    prometheus: false,
    analysis: () => ({
      ...base,
      metrics: [
        { name: 'request-success-rate', interval: INTERVAL },
        { name: 'request-duration', interval: INTERVAL },
      ],
      judge: { mode: 'compare', minRequests: 20, confidence: 0.95, maxRelativeDegradation: 0.1 },
    }),
  },
  {
    name: 'threshold (Prometheus)',
    prometheus: true,
    analysis: () => ({
      ...base,
      metrics: [
        { name: 'success-rate', templateRef: { name: 'success-rate' }, thresholdRange: { min: 99 }, interval: INTERVAL },
        { name: 'latency-p99', templateRef: { name: 'latency-p99' }, thresholdRange: { max: LATENCY_LIMIT_MS }, interval: INTERVAL },
      ],
    }),
  },
];

interface Scenario {
  name: string;
  env: AppEnv;
  isBad: (s: LoadSample) => boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'errors (20% 500s)', env: { errorRate: 0.2 }, isBad: (s) => s.status === 500 },
  { name: 'latency (3× p99)', env: { latencyMs: 75 }, isBad: (s) => s.ms > LATENCY_LIMIT_MS },
];

interface Row {
  scenario: string;
  judge: string;
  figures: RolloutFigures;
  outcome: string;
}

async function rollOutBad(env: RolloutEnv, version: string, scenario: Scenario): Promise<{ figures: RolloutFigures; outcome: string }> {
  const before = (await env.readCanary()).status?.lastAppliedSpec;
  const load = env.load({ ratePerSecond: 100 });
  const since = Date.now();
  await env.rollOut(version, scenario.env);
  let outcome = 'Failed';
  try {
    // Bounded: the slowest judge needs about interval × threshold after the first step.
    await env.waitForPhase('Failed', (INTERVAL_S * (THRESHOLD + 4) + 60) * 1000, before);
  } catch (err) {
    outcome = `not rolled back: ${(err as Error).message.split('\n')[0] ?? ''}`;
  }
  await sleep(1000);
  const samples = await load.stop();
  return { figures: rolloutFigures(samples, env.statusSince(since), { canaryVersion: version, isBad: scenario.isBad }), outcome };
}

function table(rows: Row[]): void {
  const same = INTERVAL_S * THRESHOLD;
  const header = ['scenario', 'judge', 's to 0% canary', 'failed requests', `÷ ${same} s (interval × threshold here)`, `÷ ${FLAGGER_ROLLBACK_S} s (Flagger defaults)`, 'outcome'];
  const cells = rows.map((r) => {
    const s = r.figures.secondsToNoCanaryTraffic;
    const ratio = (to: number): string => (s === undefined ? '-' : (s / to).toFixed(3));
    return [r.scenario, r.judge, s === undefined ? '-' : s.toFixed(1), `${r.figures.failed} of ${r.figures.requests}`, ratio(same), ratio(FLAGGER_ROLLBACK_S), r.outcome];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string => c.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  out(line(header));
  out(line(widths.map((w) => '-'.repeat(w))));
  for (const c of cells) out(line(c));
}

async function main(): Promise<void> {
  if (!Number.isFinite(INTERVAL_S)) throw new Error(`BENCH_INTERVAL must be whole seconds like "10s", got ${INTERVAL}`);
  out('bench:rollout — time from the first bad answer to 0% canary traffic, and failed client requests');
  out(`analysis: interval ${INTERVAL}, threshold ${THRESHOLD}, first step 20%; clients: 100 req/s over 2 waypoint pods; all on loopback`);
  out('Starting a local Kubernetes control plane...');
  const plane = await ControlPlane.start();
  process.env.SLUICE_TEST_KUBECONFIG = plane.kubeconfigPath;
  const rows: Row[] = [];
  try {
    for (const judge of JUDGES) {
      const env = new RolloutEnv(`bench-${judge.name.split(' ')[0] ?? 'judge'}`, { analysis: judge.analysis, withoutPrometheus: !judge.prometheus });
      try {
        await env.start();
        let n = 2;
        for (const scenario of SCENARIOS) {
          const { figures, outcome } = await rollOutBad(env, `v${n++}`, scenario);
          rows.push({ scenario: scenario.name, judge: judge.name, figures, outcome });
          const s = figures.secondsToNoCanaryTraffic;
          out(`  ${scenario.name}, ${judge.name}: ${s === undefined ? 'no bad answer seen' : `${s.toFixed(1)} s`}, ${figures.failed} failed requests (${outcome})`);
        }
      } finally {
        await env.stop();
      }
    }
  } finally {
    await plane.stop();
  }
  out();
  table(rows.sort((a, b) => a.scenario.localeCompare(b.scenario)));
  out();
  out(`Flagger rolls back after interval × threshold = ${FLAGGER.intervalS} s × ${FLAGGER.threshold} = ${FLAGGER_ROLLBACK_S} s with its defaults:`);
  out('  interval "default 60s" (fluxcd/flagger docs/gitbook/usage/how-it-works.md, Canary analysis);');
  out('  rollback time "interval * threshold" (docs/gitbook/usage/deployment-strategies.md);');
  out('  threshold has no documented default; its tutorials use 5 (docs/gitbook/tutorials/istio-progressive-delivery.md).');
  out(`A threshold judge needs \`threshold\` failed checks one interval apart whatever the evidence: here ${INTERVAL} × ${THRESHOLD} = ${INTERVAL_S * THRESHOLD} s,`);
  out('and Flagger with its defaults 300 s. The compare judge checks the error split continuously (sequential test) and rolls back');
  out('as soon as the evidence is clear; its latency test (Mann-Whitney) runs once per interval, so latency still takes interval × threshold.');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:rollout failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
