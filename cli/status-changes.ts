// `status --watch` without a terminal (CI logs, pipes): instead of redrawing the screen, one
// line per change, each stamped with the time. Pure: the caller keeps the returned state
// and hands it back with the next version of the Canary and its Events.
import type { Canary } from '../crds/index.js';
import type { EventView } from './event-view.js';
import { latestEvents } from './event-view.js';
import { requestState } from './manual-action-view.js';
import { progressBar } from './progress-bar.js';
import { formatNumber, formatThreshold } from './status-view.js';

export interface WatchState {
  summary: string;
  analysis: string;
  request: string;
  answer: string;
  /** uid -> version of every Event printed (or shown in the first full view). */
  events: ReadonlyMap<string, string>;
}

/** Phase, weight, checks, iterations, pause and message: what a rollout's progress is. */
export function summaryOf(canary: Canary): string {
  const s = canary.status ?? {};
  const threshold = canary.spec.analysis?.threshold;
  const parts = [
    `${canary.metadata.name} ${s.phase ?? 'Unknown'}`,
    `weight ${progressBar(s.canaryWeight ?? 0)}`,
    `failed checks ${s.failedChecks ?? 0}${threshold === undefined ? '' : `/${threshold}`}`,
  ];
  if (canary.spec.analysis?.iterations !== undefined) parts.push(`iterations ${s.iterations ?? 0}/${canary.spec.analysis.iterations}`);
  if (s.paused === true) parts.push('paused');
  const message = s.message === undefined || s.message === '' ? '' : `: ${s.message.replace(/\s*\n\s*/g, ' ')}`;
  return parts.join(', ') + message;
}

function analysisOf(canary: Canary): string {
  const results = canary.status?.analysisResults ?? [];
  if (results.length === 0) return '';
  return `analysis: ${results
    .map((r) => `${r.metric}=${formatNumber(r.value)}${r.primaryValue === undefined ? '' : ` (primary ${formatNumber(r.primaryValue)})`} [${formatThreshold(r.thresholdRange)}] ${r.verdict}${r.message ? ` (${r.message})` : ''}`)
    .join('; ')}`;
}

function requestOf(canary: Canary): string {
  const request = requestState(canary);
  if (request.kind === 'unanswered') return `action requested: ${request.action}${request.nonce === '' ? '' : ` (nonce ${request.nonce})`}`;
  if (request.kind === 'invalid') return `invalid action annotation ${JSON.stringify(request.value)}: ${request.error}`;
  return '';
}

function answerOf(canary: Canary): string {
  const a = canary.status?.manualAction;
  if (a === undefined) return '';
  return `action ${a.action} (nonce ${a.nonce}) ${a.state}${a.message ? `: ${a.message}` : ''}`;
}

/** The state after showing the full status view: nothing in it is printed again. */
export function initialWatchState(canary: Canary, events: readonly EventView[]): WatchState {
  return {
    summary: summaryOf(canary),
    analysis: analysisOf(canary),
    request: requestOf(canary),
    answer: answerOf(canary),
    events: new Map(events.map((e) => [e.uid, e.version])),
  };
}

export function changeLines(
  previous: WatchState,
  canary: Canary,
  events: readonly EventView[],
  now: number,
): { lines: string[]; state: WatchState } {
  const next = initialWatchState(canary, events);
  const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const lines: string[] = [];
  const changed = (key: 'summary' | 'analysis' | 'request' | 'answer'): boolean => next[key] !== previous[key] && next[key] !== '';
  if (changed('summary')) lines.push(next.summary);
  if (changed('request')) lines.push(next.request);
  if (changed('answer')) lines.push(next.answer);
  if (changed('analysis')) lines.push(next.analysis);
  for (const e of latestEvents(events, events.length)) {
    if (previous.events.get(e.uid) === e.version) continue;
    lines.push(`event ${e.type} ${e.reason}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`);
  }
  return { lines: lines.map((line) => `${stamp} ${line}`), state: next };
}
