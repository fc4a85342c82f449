// Runs the checks of one analysis step concurrently under one deadline, and folds their
// results into the step's verdict. A check that errs or overruns the deadline is an "error"
// result, and an error counts as a failed check unless told otherwise: a metrics outage must
// never let an unverified canary through.

import type { Logger } from 'pino';
import type { AnalysisMetrics } from './analysis-metrics.js';
import type { CheckResult, MetricCheck } from './checks.js';
import type { Verdict } from './judges/judgement.js';

export interface StepVerdict {
  verdict: Verdict;
  /** Checks that failed (errors included when they count as failures). */
  failed: string[];
  inconclusive: string[];
  errors: string[];
  /** One sentence for the Canary's status. */
  reason: string;
}

export interface StepOutcome extends StepVerdict {
  results: CheckResult[];
}

export interface RunChecksOptions {
  /** Time the whole step may take; checks still running then become errors. */
  deadlineMs: number;
  /** Count provider errors as failed checks (default) or as inconclusive ones. */
  errorsAs?: 'fail' | 'inconclusive';
  logger?: Logger;
  metrics?: AnalysisMetrics;
  /** Cancels the whole step (e.g. the Canary was deleted). */
  signal?: AbortSignal;
}

/** Pure: the verdict of a step from its checks' results. */
export function aggregateStep(results: readonly CheckResult[], errorsAs: 'fail' | 'inconclusive' = 'fail'): StepVerdict {
  const errors = results.filter((r) => r.verdict === 'error').map((r) => r.metric);
  const failed = results.filter((r) => r.verdict === 'fail' || (r.verdict === 'error' && errorsAs === 'fail')).map((r) => r.metric);
  const inconclusive = results.filter((r) => r.verdict === 'inconclusive' || (r.verdict === 'error' && errorsAs === 'inconclusive')).map((r) => r.metric);
  const n = results.length;
  if (n === 0) return { verdict: 'pass', failed, inconclusive, errors, reason: 'no metric checks configured' };
  const reasonsOf = (names: string[]): string =>
    results
      .filter((r) => names.includes(r.metric))
      .map((r) => (r.verdict === 'error' ? `error: ${r.reason}` : r.reason))
      .join('; ');
  if (failed.length > 0) {
    return { verdict: 'fail', failed, inconclusive, errors, reason: `${failed.length} of ${n} checks failed: ${reasonsOf(failed)}` };
  }
  if (inconclusive.length > 0) {
    return { verdict: 'inconclusive', failed, inconclusive, errors, reason: `${inconclusive.length} of ${n} checks inconclusive: ${reasonsOf(inconclusive)}` };
  }
  return { verdict: 'pass', failed, inconclusive, errors, reason: `all ${n} checks passed` };
}

/** Evaluates every check at once; resolves when all have answered or the deadline has passed. */
export async function runChecks(checks: readonly MetricCheck[], options: RunChecksOptions): Promise<StepOutcome> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('analysis deadline passed'));
      resolve('deadline');
    }, options.deadlineMs);
  });
  try {
    const results = await Promise.all(
      checks.map(async (check): Promise<CheckResult> => {
        const started = performance.now();
        // A check that ignores its signal is still cut off by the race.
        const outcome = await Promise.race([
          check.evaluate(controller.signal).catch((err: unknown): CheckResult => ({
            metric: check.metric,
            verdict: 'error',
            values: {},
            reason: `${check.metric}: ${err instanceof Error ? err.message : String(err)}`,
          })),
          deadline,
        ]);
        const result: CheckResult =
          outcome === 'deadline' || (controller.signal.aborted && outcome.verdict === 'error')
            ? {
                metric: check.metric,
                verdict: 'error',
                values: {},
                reason: options.signal?.aborted
                  ? `${check.metric}: analysis cancelled`
                  : `${check.metric}: no answer within the analysis deadline of ${options.deadlineMs / 1000}s`,
              }
            : outcome;
        options.metrics?.observe(result.verdict, (performance.now() - started) / 1000);
        if (result.verdict === 'error') options.logger?.warn({ metric: result.metric, reason: result.reason }, 'metric check error');
        else options.logger?.debug({ metric: result.metric, verdict: result.verdict, values: result.values }, 'metric check');
        return result;
      }),
    );
    const step = aggregateStep(results, options.errorsAs ?? 'fail');
    options.logger?.info({ verdict: step.verdict, failed: step.failed, inconclusive: step.inconclusive }, 'analysis step');
    return { ...step, results };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
