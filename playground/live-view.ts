// What the playground shows, as a pure function of what it knows: the steps so far, the
// Canary (weight as a progress bar, the last analysis), its Events, the notifications the
// AlertProvider delivered, the clients' counters and the pods' processes. On a terminal the
// whole view is redrawn in place (renderLive); anywhere else (CI logs, pipes) each change
// becomes one line stamped with the time since start (plainUpdate), so that nothing is
// redrawn and the log reads top to bottom.
import type { Canary } from '../crds/index.js';
import { age, humanDuration } from '../cli/age.js';
import { type EventView, latestEvents } from '../cli/event-view.js';
import { progressBar } from '../cli/progress-bar.js';
import { formatNumber, formatThreshold, phaseStyle, strategySummary } from '../cli/status-view.js';
import { type Style, visibleLength } from '../cli/style.js';
import type { LoadCounters } from './load-counters.js';
import type { PodProcessInfo } from '../test/harness/pod-runner.js';
import type { ReceivedNotification } from './notification-receiver.js';

export type StepState = 'pending' | 'running' | 'done' | 'failed';

export interface Step {
  label: string;
  state: StepState;
  /** Shown after the label: how long it took, how it ended. */
  detail?: string;
}

export interface PodCount {
  /** The Deployment the pods belong to. */
  owner: string;
  ready: number;
  total: number;
}

export interface LiveInput {
  /** Epoch ms. */
  now: number;
  startedAt: number;
  steps: readonly Step[];
  canary: Canary | undefined;
  events: readonly EventView[];
  notifications: readonly ReceivedNotification[];
  load: LoadCounters;
  /** Requests per second over the last few seconds. */
  loadRate: number;
  pods: readonly PodCount[];
  style: Style;
}

/** Seconds with one decimal: "12.3 s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

const STEP_MARK: Record<StepState, string> = { pending: '·', running: '▶', done: '✔', failed: '✘' };

function stepLine(step: Step, style: Style): string {
  const mark = STEP_MARK[step.state];
  const styled = step.state === 'done' ? style.good(mark) : step.state === 'failed' ? style.bad(mark) : step.state === 'running' ? style.warn(mark) : style.dim(mark);
  const label = step.state === 'pending' ? style.dim(step.label) : step.state === 'running' ? style.bold(step.label) : step.label;
  return `${styled} ${label}${step.detail === undefined ? '' : `  ${style.dim('—')} ${step.detail}`}`;
}

/** The builtin metrics' units, so that "100" reads as a percentage and "9.8" as milliseconds. */
function unit(metric: string): string {
  if (metric === 'request-success-rate') return '%';
  if (metric.startsWith('request-duration')) return ' ms';
  return '';
}

/** "request-success-rate 100% (>= 99) Passed; request-duration 9.8 ms (<= 500) Passed" */
export function analysisSummary(canary: Canary, style: Style): string {
  return (canary.status?.analysisResults ?? [])
    .map((r) => {
      const verdict = r.verdict === 'Passed' ? style.good(r.verdict) : r.verdict === 'Failed' ? style.bad(r.verdict) : style.warn(r.verdict);
      const value = r.value === undefined ? '-' : `${formatNumber(r.value)}${unit(r.metric)}`;
      // A passed check's message only repeats its value; a failed or inconclusive one says why.
      const why = r.verdict !== 'Passed' && r.message ? ` ${style.dim(`(${r.message})`)}` : '';
      return `${r.metric} ${value} (${formatThreshold(r.thresholdRange)}) ${verdict}${why}`;
    })
    .join('; ');
}

const thousands = (n: number): string => n.toLocaleString('en-US');

/** "1,234 requests · v1 1,000 ok · v3 150 ok, 64 failed · 0 unanswered" */
export function clientSummary(load: LoadCounters, style: Style): string {
  const versions = [...new Set([...Object.keys(load.ok), ...Object.keys(load.appErrors)])].sort();
  const parts = versions.map((v) => {
    const ok = load.ok[v] ?? 0;
    const failed = load.appErrors[v] ?? 0;
    return `${v} ${thousands(ok)} ok${failed > 0 ? `, ${style.bad(`${thousands(failed)} failed`)}` : ''}`;
  });
  const unanswered = Object.entries(load.unanswered).sort((a, b) => b[1] - a[1]);
  const unansweredText =
    unanswered.length === 0 ? 'none unanswered' : style.bad(`${thousands(unanswered.reduce((a, [, n]) => a + n, 0))} unanswered (${unanswered.map(([why, n]) => `${why} ${n}`).join(', ')})`);
  return [`${thousands(load.sent)} requests`, ...parts, unansweredText].join(' · ');
}

export function podSummary(pods: readonly PodCount[]): string {
  if (pods.length === 0) return 'none yet';
  return pods.map((p) => `${p.owner} ${p.ready}/${p.total}`).join(' · ');
}

/** "demo-primary-7d9f8c6b5-x2x7z" -> "demo-primary": the Deployment behind a ReplicaSet's pod. */
export function ownerOf(podName: string): string {
  const parts = podName.split('-');
  return parts.length > 2 ? parts.slice(0, -2).join('-') : podName;
}

/** The pod runner's processes by Deployment: how many there are and how many are ready. */
export function podCounts(pods: readonly Pick<PodProcessInfo, 'name' | 'state'>[]): PodCount[] {
  const counts = new Map<string, PodCount>();
  for (const p of pods) {
    if (p.state === 'stopped') continue;
    const owner = ownerOf(p.name);
    const count = counts.get(owner) ?? { owner, ready: 0, total: 0 };
    count.total++;
    if (p.state === 'ready') count.ready++;
    counts.set(owner, count);
  }
  return [...counts.values()].sort((a, b) => a.owner.localeCompare(b.owner));
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

function canaryLines(input: LiveInput): string[] {
  const { canary, style, now } = input;
  if (canary === undefined) return [`${label('Canary')}not created yet`];
  const status = canary.status ?? {};
  const phase = status.phase ?? 'no status yet';
  const since = status.lastTransitionTime === undefined ? '' : ` for ${age(status.lastTransitionTime, now)}`;
  const threshold = canary.spec.analysis?.threshold;
  const lines = [
    `${label('Canary')}${style.bold(`${canary.metadata.namespace ?? ''}/${canary.metadata.name}`)} ${phaseStyle(phase, style)}${since}${status.message ? `: ${oneLine(status.message)}` : ''}`,
    `${label('Weight')}${progressBar(status.canaryWeight ?? 0)}   ${style.dim(strategySummary(canary.spec.analysis))}`,
    `${label('Checks')}${status.failedChecks ?? 0}${threshold === undefined ? '' : `/${threshold}`} failed${threshold === undefined ? '' : ` (rolls back at ${threshold})`}`,
  ];
  const analysis = analysisSummary(canary, style);
  const when = status.rollout?.lastAnalysisAt;
  lines.push(`${label('Analysis')}${analysis === '' ? style.dim('none yet in this rollout') : `${analysis}${when === undefined ? '' : style.dim(`, ${age(when, now)} ago`)}`}`);
  return lines;
}

function label(text: string): string {
  return `${text}:`.padEnd(11);
}

function tableOf(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => visibleLength(r[col] ?? '')))) ?? [];
  return rows.map((row) => `  ${row.map((cell, col) => (col === row.length - 1 ? cell : cell + ' '.repeat((widths[col] ?? 0) - visibleLength(cell)))).join('  ')}`);
}

/** How many Events and notifications the terminal view keeps on screen. */
const LIST_LIMIT = 6;

export function renderLive(input: LiveInput): string[] {
  const { style, now } = input;
  const lines = [`${style.bold('Sluice playground')}  ${style.dim(`${clock(now - input.startedAt)} · Ctrl-C stops everything`)}`, ''];
  lines.push(...input.steps.map((s) => stepLine(s, style)), '');
  lines.push(...canaryLines(input));
  lines.push(`${label('Clients')}${clientSummary(input.load, style)}${input.loadRate > 0 ? style.dim(` · ${Math.round(input.loadRate)}/s`) : ''}`);
  lines.push(`${label('Pods')}${podSummary(input.pods)}`);
  const events = latestEvents(input.events, LIST_LIMIT);
  lines.push('', style.bold('Events of the Canary') + (events.length === 0 ? style.dim(' none yet') : ''));
  lines.push(...tableOf(events.map((e) => [age(e.lastSeen, now), e.type === 'Warning' ? style.warn(e.type) : e.type, e.reason, `${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`])));
  const notifications = input.notifications.slice(-LIST_LIMIT);
  lines.push('', style.bold('Notifications received from the AlertProvider') + (notifications.length === 0 ? style.dim(' none yet') : ''));
  lines.push(...tableOf(notifications.map((n) => [humanDuration(now - n.receivedAt), severityStyle(n.severity, style), n.event, notificationText(n)])));
  return lines;
}

function severityStyle(severity: string, style: Style): string {
  if (severity === 'error') return style.bad(severity);
  if (severity === 'warn') return style.warn(severity);
  return severity;
}

export function notificationLine(n: ReceivedNotification, style: Style): string {
  return `notification ${severityStyle(n.severity, style)} ${n.event}: ${notificationText(n)}`;
}

/** The message, with the failing metric when the notification carries one. */
export function notificationText(n: ReceivedNotification): string {
  const metric = n.metric === undefined ? '' : ` [${n.metric}${n.value === undefined ? '' : ` ${formatNumber(n.value)}${unit(n.metric)}`}${n.threshold === undefined ? '' : `, ${formatThreshold(n.threshold)}`}]`;
  return `${oneLine(n.message)}${metric}`;
}

// eslint-disable-next-line no-control-regex -- the escape sequences of ansiStyle are what must survive truncation
const ESCAPE = /^\u001b\[[0-9;]*m/;

/** Cuts a line to `width` visible characters (escape sequences kept, "…" marking the cut) so that a redraw never wraps. */
export function fitWidth(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let out = '';
  let shown = 0;
  for (let i = 0; i < line.length; ) {
    const escape = ESCAPE.exec(line.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    const char = String.fromCodePoint(line.codePointAt(i) ?? 32);
    if (shown === width - 1) break;
    out += char;
    shown++;
    i += char.length;
  }
  return `${out}…${line.includes('\u001b[') ? '\u001b[0m' : ''}`;
}

/** The terminal frame: at most `rows` lines of at most `columns` characters. */
export function fitScreen(lines: readonly string[], columns: number, rows: number): string[] {
  const fitted = lines.map((l) => fitWidth(l, Math.max(20, columns)));
  return fitted.length <= rows ? fitted : [...fitted.slice(0, Math.max(1, rows - 1)), '…'];
}

/** What the line output has printed already, so that only changes are printed next time. */
export interface PlainState {
  steps: readonly string[];
  canary: string;
  analysis: string;
  events: ReadonlyMap<string, string>;
  notifications: ReadonlySet<string>;
  clients: string;
  /** When the clients' line was last printed (epoch ms). */
  clientsAt: number;
}

/** Without a terminal the clients' counters are printed at most this often. */
export const CLIENT_LINE_EVERY_MS = 10_000;

/** "[  12.3s]": the time since the playground started, in front of every printed line. */
export function stamp(now: number, startedAt: number): string {
  return `[${((now - startedAt) / 1000).toFixed(1).padStart(6)}s]`;
}

export function plainUpdate(previous: PlainState | undefined, input: LiveInput): { lines: string[]; state: PlainState } {
  const { style, now, canary } = input;
  const out: string[] = [];
  const steps = input.steps.map((s) => stepLine(s, style));
  steps.forEach((line, i) => {
    if (input.steps[i]?.state !== 'pending' && previous?.steps[i] !== line) out.push(line);
  });
  let canaryText = '';
  let analysis = '';
  if (canary !== undefined) {
    const s = canary.status ?? {};
    const threshold = canary.spec.analysis?.threshold;
    canaryText = `canary ${canary.metadata.name} ${phaseStyle(s.phase ?? 'no status yet', style)}, weight ${progressBar(s.canaryWeight ?? 0)}, failed checks ${s.failedChecks ?? 0}${threshold === undefined ? '' : `/${threshold}`}${s.message ? `: ${oneLine(s.message)}` : ''}`;
    const summary = analysisSummary(canary, style);
    analysis = summary === '' ? '' : `analysis: ${summary}`;
  }
  if (canaryText !== '' && canaryText !== previous?.canary) out.push(canaryText);
  if (analysis !== '' && analysis !== previous?.analysis) out.push(analysis);
  const events = new Map(previous?.events ?? []);
  for (const e of latestEvents(input.events, input.events.length)) {
    if (events.get(e.uid) === e.version) continue;
    events.set(e.uid, e.version);
    out.push(`event ${e.type} ${e.reason}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`);
  }
  const notifications = new Set(previous?.notifications ?? []);
  for (const n of input.notifications) {
    if (notifications.has(n.id)) continue;
    notifications.add(n.id);
    out.push(notificationLine(n, style));
  }
  // Counters change with every request: print them with each change of the canary, and otherwise now and then.
  const clients = clientSummary(input.load, style);
  let printedClients = previous?.clients ?? '';
  let clientsAt = previous?.clientsAt ?? 0;
  const due = now - clientsAt >= CLIENT_LINE_EVERY_MS || canaryText !== (previous?.canary ?? '');
  if (input.load.sent > 0 && due && clients !== printedClients) {
    out.push(`clients: ${clients}`);
    printedClients = clients;
    clientsAt = now;
  }
  const state: PlainState = { steps, canary: canaryText, analysis, events, notifications, clients: printedClients, clientsAt };
  return { lines: out.map((l) => `${stamp(now, input.startedAt)} ${l}`), state };
}
