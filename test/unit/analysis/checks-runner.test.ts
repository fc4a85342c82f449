import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { AnalysisMetrics } from '../../../analysis/analysis-metrics.js';
import type { CheckResult, MetricCheck } from '../../../analysis/checks.js';
import { aggregateStep, runChecks } from '../../../analysis/checks-runner.js';
import { toAnalysisResult } from '../../../analysis/status.js';

function result(metric: string, verdict: CheckResult['verdict'], reason = `${metric} ${verdict}`): CheckResult {
  return { metric, verdict, values: {}, reason };
}

function check(metric: string, evaluate: (signal: AbortSignal) => Promise<CheckResult>): MetricCheck {
  return { metric, continuous: false, evaluate };
}

describe('step verdict', () => {
  it('passes when every check passes, and with no checks at all', () => {
    expect(aggregateStep([result('a', 'pass'), result('b', 'pass')])).toMatchObject({ verdict: 'pass', reason: 'all 2 checks passed' });
    expect(aggregateStep([]).verdict).toBe('pass');
  });

  it('fails on any failed check, listing why', () => {
    const step = aggregateStep([result('a', 'pass'), result('b', 'fail', 'b is too slow'), result('c', 'inconclusive')]);
    expect(step).toMatchObject({ verdict: 'fail', failed: ['b'], inconclusive: ['c'], reason: '1 of 3 checks failed: b is too slow' });
  });

  it('counts an error as a failed check by default, never as a pass', () => {
    const step = aggregateStep([result('a', 'pass'), result('b', 'error', 'b: Prometheus is unreachable')]);
    expect(step).toMatchObject({ verdict: 'fail', failed: ['b'], errors: ['b'], reason: '1 of 2 checks failed: error: b: Prometheus is unreachable' });
    expect(aggregateStep([result('a', 'pass'), result('b', 'error')], 'inconclusive').verdict).toBe('inconclusive');
  });

  it('is inconclusive when nothing failed but something could not be judged', () => {
    expect(aggregateStep([result('a', 'pass'), result('b', 'inconclusive', 'b: only 3 requests')]).reason).toBe('1 of 2 checks inconclusive: b: only 3 requests');
  });
});

describe('checks runner', () => {
  it('runs checks concurrently and returns every result', async () => {
    let running = 0;
    let peak = 0;
    const slow = (metric: string): MetricCheck =>
      check(metric, async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return result(metric, 'pass');
      });
    const registry = new Registry();
    const outcome = await runChecks([slow('a'), slow('b'), slow('c')], { deadlineMs: 5000, metrics: new AnalysisMetrics(registry) });
    expect(peak).toBe(3);
    expect(outcome.verdict).toBe('pass');
    expect(outcome.results.map((r) => r.metric)).toEqual(['a', 'b', 'c']);
    expect(await registry.getSingleMetricAsString('sluice_analysis_checks_total')).toMatch(/sluice_analysis_checks_total\{verdict="pass"\} 3/);
  });

  it('turns a check that outlives the deadline into an error, and aborts its signal', async () => {
    let aborted = false;
    const hanging = check('hangs', (signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return new Promise<CheckResult>(() => undefined);
    });
    const started = Date.now();
    const outcome = await runChecks([hanging, check('quick', async () => result('quick', 'pass'))], { deadlineMs: 50 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(aborted).toBe(true);
    expect(outcome.results[0]).toMatchObject({ verdict: 'error', reason: 'hangs: no answer within the analysis deadline of 0.05s' });
    expect(outcome.results[1]?.verdict).toBe('pass');
    expect(outcome.verdict).toBe('fail');
  });

  it('turns a thrown error into an error result and logs it', async () => {
    const warnings: unknown[] = [];
    const logger = { warn: (obj: unknown) => warnings.push(obj), info: () => undefined, debug: () => undefined } as unknown as Logger;
    const outcome = await runChecks(
      [
        check('boom', async () => {
          throw new Error('kaput');
        }),
      ],
      { deadlineMs: 1000, logger },
    );
    expect(outcome.results[0]).toMatchObject({ verdict: 'error', reason: 'boom: kaput' });
    expect(warnings).toEqual([{ metric: 'boom', reason: 'boom: kaput' }]);
  });

  it('stops when the caller cancels the step', async () => {
    const controller = new AbortController();
    const pending = runChecks(
      [
        check('waits', (signal) => new Promise<CheckResult>((resolve) => signal.addEventListener('abort', () => resolve(result('waits', 'error', 'aborted'))))),
      ],
      { deadlineMs: 10_000, signal: controller.signal },
    );
    controller.abort();
    const outcome = await pending;
    expect(outcome.results[0]).toMatchObject({ verdict: 'error', reason: 'waits: analysis cancelled' });
  });
});

describe('status results', () => {
  it("map onto the Canary's analysisResults with Flagger's verdict names", () => {
    const time = new Date('2026-11-21T10:00:00Z');
    expect(toAnalysisResult({ metric: 'a', verdict: 'pass', value: 99.5, values: {}, reason: 'fine' }, time, { min: 99 })).toEqual({
      metric: 'a',
      value: 99.5,
      thresholdRange: { min: 99 },
      verdict: 'Passed',
      message: 'fine',
      time: '2026-11-21T10:00:00.000Z',
    });
    expect(toAnalysisResult(result('b', 'error', 'b: down'), time)).toMatchObject({ verdict: 'Failed', message: 'error: b: down' });
    expect(toAnalysisResult(result('c', 'inconclusive'), time).verdict).toBe('Inconclusive');
    expect(toAnalysisResult(result('d', 'fail', 'x'.repeat(2000)), time).message).toHaveLength(1024);
  });
});
