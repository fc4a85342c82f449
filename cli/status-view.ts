// `kubectl sluice status NAME`: everything about one rollout on one screen. Pure: a Canary,
// its Events and the time in, text out; the watch mode redraws it or, without a terminal,
// prints the lines of status-changes.ts instead.
import type { AnalysisResult, Canary, CanaryAnalysis, Condition, ThresholdRange } from '../crds/index.js';
import { age } from './age.js';
import { type EventView, latestEvents } from './event-view.js';
import { requestState } from './manual-action-view.js';
import { progressBar } from './progress-bar.js';
import { plainStyle, type Style } from './style.js';
import { formatTable } from './table.js';

export interface StatusInput {
  canary: Canary;
  events: readonly EventView[];
  now: number;
  style?: Style;
  /** Events shown at most. Default 10. */
  eventLimit?: number;
}

/** Metric values: integers as they are, fractions to at most 4 significant decimals. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return '-';
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(Math.max(4, Math.ceil(Math.log10(Math.abs(value) + 1)) + 2))));
}

export function formatThreshold(range: ThresholdRange | undefined): string {
  if (range === undefined) return '-';
  if (range.min !== undefined && range.max !== undefined) return `${formatNumber(range.min)}..${formatNumber(range.max)}`;
  if (range.min !== undefined) return `>= ${formatNumber(range.min)}`;
  if (range.max !== undefined) return `<= ${formatNumber(range.max)}`;
  return '-';
}

export function phaseStyle(phase: string, style: Style): string {
  if (phase === 'Succeeded') return style.good(phase);
  if (phase === 'Failed') return style.bad(phase);
  if (phase === 'Initialized') return phase;
  return style.warn(phase);
}

function verdictStyle(verdict: string, style: Style): string {
  if (verdict === 'Passed') return style.good(verdict);
  if (verdict === 'Failed') return style.bad(verdict);
  return style.warn(verdict);
}

/** How the weight moves, from the spec: "step 10%, max 50%", "steps 5, 10, 50%", "A/B testing". */
export function strategySummary(analysis: CanaryAnalysis | undefined): string {
  if (analysis === undefined) return '';
  if (analysis.stepWeights !== undefined) return `steps ${analysis.stepWeights.join(', ')}%`;
  if (analysis.stepWeight !== undefined) return `step ${analysis.stepWeight}%, max ${analysis.maxWeight ?? 100}%`;
  if (analysis.match !== undefined) return 'A/B testing: matching requests go to the canary';
  if (analysis.mirror === true) return 'blue/green with mirroring';
  if (analysis.iterations !== undefined) return 'blue/green';
  return '';
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(15)}${value}`;
}

function weightLines(canary: Canary): string[] {
  const weight = canary.status?.canaryWeight ?? 0;
  const summary = strategySummary(canary.spec.analysis);
  return [field('Weight', `${progressBar(weight)}${summary === '' ? '' : `   (${summary})`}`)];
}

function checkLines(canary: Canary, style: Style): string[] {
  const failed = canary.status?.failedChecks ?? 0;
  const threshold = canary.spec.analysis?.threshold;
  const text = threshold === undefined ? String(failed) : `${failed}/${threshold}`;
  const lines = [field('Failed checks', `${failed > 0 ? style.warn(text) : text}${threshold === undefined ? '' : ` (rolls back at ${threshold})`}`)];
  const iterations = canary.spec.analysis?.iterations;
  if (iterations !== undefined || (canary.status?.iterations ?? 0) > 0) {
    lines.push(field('Iterations', `${canary.status?.iterations ?? 0}${iterations === undefined ? '' : `/${iterations}`}`));
  }
  return lines;
}

function actionLines(canary: Canary, now: number, style: Style): string[] {
  const lines: string[] = [];
  const request = requestState(canary);
  if (request.kind === 'unanswered') {
    lines.push(field('Requested', `${request.action}${request.nonce === '' ? '' : ` (nonce ${request.nonce})`}, not yet answered by the operator`));
  } else if (request.kind === 'invalid') {
    lines.push(field('Requested', style.bad(`invalid sluice.dev/action annotation ${JSON.stringify(request.value)}: ${request.error}`)));
  }
  const answer = canary.status?.manualAction;
  if (answer !== undefined) {
    const state = answer.state === 'Applied' ? style.good(answer.state) : answer.state === 'Rejected' ? style.bad(answer.state) : style.warn(answer.state);
    const message = answer.message === undefined || answer.message === '' ? '' : `: ${oneLine(answer.message)}`;
    lines.push(field('Last action', `${answer.action} (nonce ${answer.nonce}) ${state} ${age(answer.time, now)} ago${message}`));
  }
  return lines;
}

function analysisLines(results: readonly AnalysisResult[], lastAt: string | undefined, now: number, style: Style): string[] {
  if (results.length === 0) return [];
  const withPrimary = results.some((r) => r.primaryValue !== undefined);
  const header = ['METRIC', 'VALUE', ...(withPrimary ? ['PRIMARY'] : []), 'THRESHOLD', 'VERDICT', 'MESSAGE'];
  const rows = results.map((r) => [
    r.metric,
    formatNumber(r.value),
    ...(withPrimary ? [formatNumber(r.primaryValue)] : []),
    formatThreshold(r.thresholdRange),
    verdictStyle(r.verdict, style),
    oneLine(r.message ?? ''),
  ]);
  const when = lastAt ?? results.map((r) => r.time).sort().at(-1);
  return ['', style.bold(`Last analysis${when === undefined ? '' : ` (${age(when, now)} ago)`}:`), indent(formatTable(header, rows))];
}

function conditionLines(conditions: readonly Condition[], now: number, style: Style): string[] {
  if (conditions.length === 0) return [];
  const rows = conditions.map((c) => [c.type, c.status, c.reason, age(c.lastTransitionTime, now), oneLine(c.message)]);
  return ['', style.bold('Conditions:'), indent(formatTable(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], rows))];
}

function eventLines(events: readonly EventView[], limit: number, now: number, style: Style): string[] {
  const shown = latestEvents(events, limit);
  if (shown.length === 0) return ['', `${style.bold('Events:')} none`];
  const rows = shown.map((e) => [
    age(e.lastSeen, now),
    e.type === 'Warning' ? style.warn(e.type) : e.type,
    e.reason,
    `${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`,
  ]);
  return ['', style.bold('Events:'), indent(formatTable(['AGE', 'TYPE', 'REASON', 'MESSAGE'], rows))];
}

function indent(block: string): string {
  return block
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

export function renderStatus(input: StatusInput): string {
  const { canary, now } = input;
  const style = input.style ?? plainStyle;
  const status = canary.status ?? {};
  const phase = status.phase ?? 'Unknown';
  const since = status.lastTransitionTime === undefined ? '' : ` (for ${age(status.lastTransitionTime, now)}, since ${status.lastTransitionTime})`;
  const target = canary.spec.targetRef;
  const lines = [
    field('Canary', `${style.bold(canary.metadata.name)} in namespace ${canary.metadata.namespace ?? ''}`),
    field('Target', `${target.kind}/${target.name}`),
    field('Phase', `${phaseStyle(phase, style)}${since}`),
  ];
  if (status.message !== undefined && status.message !== '') lines.push(field('Message', oneLine(status.message)));
  if (status.observedGeneration !== undefined && canary.metadata.generation !== undefined && status.observedGeneration < canary.metadata.generation) {
    lines.push(field('Note', style.warn(`the operator has not seen the latest spec yet (generation ${canary.metadata.generation}, status of ${status.observedGeneration})`)));
  }
  lines.push(...weightLines(canary), ...checkLines(canary, style));
  if (status.paused === true) lines.push(field('Paused', style.warn('yes, until a resume action')));
  if (canary.spec.suspend === true) lines.push(field('Suspended', style.warn('yes (spec.suspend): new revisions are ignored')));
  lines.push(...actionLines(canary, now, style));
  lines.push(...analysisLines(status.analysisResults ?? [], status.rollout?.lastAnalysisAt, now, style));
  lines.push(...conditionLines(status.conditions ?? [], now, style));
  lines.push(...eventLines(input.events, input.eventLimit ?? 10, now, style));
  return lines.join('\n');
}
