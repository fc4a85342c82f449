// `kubectl sluice wait NAME --for=...`: blocks on a watch until the rollout reaches the
// condition (exit 0), its opposite (exit 1) or the timeout (exit 2). Each change of phase
// or weight is printed as a line, so a CI log shows how the rollout went.
import { formatDuration } from '../../crds/index.js';
import type { Canary } from '../../crds/index.js';
import type { CanaryApi, Watching } from '../canary-api.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { summaryOf } from '../status-changes.js';
import { type WaitTarget, type WaitVerdict, waitVerdict } from '../wait-decision.js';

export interface WaitCommandOptions {
  namespace: string;
  canary: string;
  for: WaitTarget;
  timeoutMs: number;
  since?: number;
}

const stamp = (now: number): string => new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function verdictLine(name: string, target: WaitTarget, verdict: WaitVerdict, elapsedMs: number): string {
  if (!verdict.done) return '';
  const after = `after ${formatDuration(Math.round(elapsedMs / 1000) * 1000)}`;
  if (verdict.outcome === 'deleted') return `canary "${name}" was deleted while waiting for ${target} (${after})`;
  const message = verdict.message === '' ? '' : `: ${verdict.message}`;
  return verdict.outcome === 'reached'
    ? `canary "${name}" is ${verdict.phase}: ${target} (${after})${message}`
    : `canary "${name}" is ${verdict.phase}, so it will not be ${target} (${after})${message}`;
}

const EXIT_OF = { reached: EXIT.ok, opposite: EXIT.negative, deleted: EXIT.notFound } as const;

export async function runWait(api: CanaryApi, options: WaitCommandOptions, io: Io): Promise<ExitCode> {
  const started = io.now();
  const initial = await api.get(options.namespace, options.canary);
  const decide = (canary: Canary | undefined): WaitVerdict => waitVerdict(options.for, canary, options.since === undefined ? {} : { since: options.since });
  let lastSummary = summaryOf(initial);
  io.stdout.write(`${stamp(started)} ${lastSummary}\n`);
  const first = decide(initial);
  if (first.done) {
    io.stdout.write(`${verdictLine(options.canary, options.for, first, 0)}\n`);
    return EXIT_OF[first.outcome];
  }
  if (options.timeoutMs <= 0) {
    io.stderr.write(`canary "${options.canary}" is not ${options.for} (phase ${initial.status?.phase ?? 'unknown'})\n`);
    return EXIT.timeout;
  }

  return new Promise<ExitCode>((resolve) => {
    let finished = false;
    let phase = initial.status?.phase ?? 'unknown';
    const finish = (code: ExitCode, line: string, to: 'stdout' | 'stderr'): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unsubscribe();
      io[to].write(`${line}\n`);
      // Callbacks run only after the watch below exists: it reports asynchronously.
      void watching.stop().then(() => resolve(code));
    };
    const timer = setTimeout(() => {
      const last = watching.lastError();
      finish(
        EXIT.timeout,
        `timed out after ${formatDuration(options.timeoutMs)} waiting for canary "${options.canary}" to be ${options.for} (phase ${phase})${last === undefined ? '' : `; the watch kept failing: ${last}`}`,
        'stderr',
      );
    }, options.timeoutMs);
    const unsubscribe = io.onInterrupt(() => finish(EXIT.timeout, `interrupted while waiting for canary "${options.canary}" to be ${options.for}`, 'stderr'));
    const observe = (canary: Canary | undefined): void => {
      if (finished) return;
      if (canary !== undefined) {
        phase = canary.status?.phase ?? 'unknown';
        const summary = summaryOf(canary);
        if (summary !== lastSummary) io.stdout.write(`${stamp(io.now())} ${summary}\n`);
        lastSummary = summary;
      }
      const verdict = decide(canary);
      if (verdict.done) finish(EXIT_OF[verdict.outcome], verdictLine(options.canary, options.for, verdict, io.now() - started), verdict.outcome === 'reached' ? 'stdout' : 'stderr');
    };
    const watching: Watching = api.watchCanary(options.namespace, options.canary, { onChange: observe, onDelete: () => observe(undefined) });
  });
}
