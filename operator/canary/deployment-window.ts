// Deployment windows (spec.analysis.windows): a rollout advances only while one is open.
// A window opens at every tick of its cron schedule, in its time zone, and stays open for
// its duration (elapsed time, as a Go duration means: a window that spans a DST switch is
// as long in seconds as any other). Several windows are a union; none means always open.
//
// Pure: the state is a function of the windows and `now` alone. The cron package supplies
// the ticks, so that what opens a window is exactly what a CronJob-like schedule means to
// it, including its DST rules: a tick in the hour skipped in spring fires at the first valid
// minute after it, a tick in the hour repeated in autumn fires once.

import { CronTime } from 'cron';
import { canaryProblems, parseDuration, type CanarySpec, type DeploymentWindow, type Problem } from '../../crds/index.js';

export interface WindowState {
  /** A window is open at `now` (or there are no windows). */
  open: boolean;
  /** When closed: when the next window opens (ISO 8601, UTC). */
  nextOpenAt?: string;
  /** When open: when the open windows stop covering time without a gap (ISO 8601, UTC). */
  closesAt?: string;
  /** One sentence for status and logs. */
  message: string;
  /** Windows the operator cannot evaluate; the rollout holds (fails closed) until they are fixed. */
  problems?: Problem[];
}

interface CompiledWindow {
  readonly cron: CronTime;
  readonly timeZone: string;
  readonly durationMs: number;
  readonly label: string;
}

/**
 * Windows open at the same moment may chain (an hourly window two hours long never closes);
 * the search for where they stop covering time gives up after this many ticks and says how
 * far it got instead. A tick costs the cron package about a millisecond.
 */
const MAX_CHAINED_TICKS = 64;

/** Whether a rollout may advance at `now`, and until or from when. */
export function windowState(windows: readonly DeploymentWindow[] | undefined, now: Date): WindowState {
  if (!windows || windows.length === 0) {
    return { open: true, message: 'no deployment windows: rollouts may advance at any time' };
  }
  const entry = cacheEntry(windows);
  if (!entry.compiled.ok) {
    const details = entry.compiled.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    return { open: false, message: `invalid deployment window (${details}): the rollout holds until it is fixed`, problems: entry.compiled.problems };
  }
  const nowMs = now.getTime();
  const last = entry.last;
  if (last && last.from <= nowMs && nowMs < last.until) return { ...last.state };
  const { state, until } = evaluate(entry.compiled.windows, nowMs);
  if (until !== undefined) entry.last = { from: nowMs, until, state };
  return { ...state };
}

/**
 * The state at `nowMs`, and until when it stays exactly the same: a closed state until the
 * next tick (no window can open before it), an open one until its closing time (every
 * instant before it lies in the same stretch of covered time, which ends there).
 */
function evaluate(windows: readonly CompiledWindow[], nowMs: number): { state: WindowState; until?: number } {
  // A window that opened at tick t covers [t, t + duration): it covers now exactly when
  // its first tick after now - duration is not after now.
  const covering: { window: CompiledWindow; tick: number }[] = [];
  for (const window of windows) {
    const tick = nextTick(window, nowMs - window.durationMs);
    if (tick !== undefined && tick <= nowMs) covering.push({ window, tick });
  }

  if (covering.length === 0) {
    const upcoming = windows
      .map((window) => ({ window, tick: nextTick(window, nowMs) }))
      .filter((u): u is { window: CompiledWindow; tick: number } => u.tick !== undefined)
      .sort((a, b) => a.tick - b.tick)[0];
    if (upcoming === undefined) {
      return { state: { open: false, message: 'outside the deployment windows, and none of them opens again' } };
    }
    const nextOpenAt = new Date(upcoming.tick).toISOString();
    return {
      state: { open: false, nextOpenAt, message: `outside the deployment windows; the next window opens at ${nextOpenAt} (${upcoming.window.label})` },
      until: upcoming.tick,
    };
  }

  // Which windows cover an instant changes within one stretch of covered time; the message
  // names a window only when there is just one, so that it holds for the whole stretch.
  const which = windows.length === 1 && windows[0] ? `the deployment window ${windows[0].label}` : 'the deployment windows';
  const coverage = coverageEnd(windows, covering, nowMs);
  if (!coverage.closes) {
    const reached = new Date(coverage.end).toISOString();
    return { state: { open: true, message: `inside ${which}; they overlap without a gap at least until ${reached}` } };
  }
  const closesAt = new Date(coverage.end).toISOString();
  return { state: { open: true, closesAt, message: `inside ${which} until ${closesAt}` }, until: coverage.end };
}

type Compiled = { ok: true; windows: CompiledWindow[] } | { ok: false; problems: Problem[] };

interface CacheEntry {
  compiled: Compiled;
  /** The last state computed and the instants [from, until) it holds for. */
  last?: { from: number; until: number; state: WindowState };
}

/**
 * Per windows spec: validation and ticks cost the cron package milliseconds, and the same
 * few specs are evaluated at every reconcile, mostly within a stretch whose state is known.
 */
const cache = new Map<string, CacheEntry>();
const CACHE_SIZE = 256;

function cacheEntry(windows: readonly DeploymentWindow[]): CacheEntry {
  const key = JSON.stringify(windows.map((w) => [w.schedule, w.duration, w.timeZone]));
  const cached = cache.get(key);
  if (cached) return cached;
  const entry: CacheEntry = { compiled: compileUncached(windows) };
  if (cache.size >= CACHE_SIZE) {
    // Oldest first: Map iterates in insertion order.
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, entry);
  return entry;
}

function compileUncached(windows: readonly DeploymentWindow[]): Compiled {
  const problems = windowProblems(windows);
  if (problems.length > 0) return { ok: false, problems };
  try {
    return {
      ok: true,
      windows: windows.map((w) => ({
        cron: new CronTime(w.schedule, w.timeZone),
        timeZone: w.timeZone,
        durationMs: parseDuration(w.duration),
        label: `"${w.schedule}" (${w.timeZone}, ${w.duration})`,
      })),
    };
  } catch (err) {
    // Only a duration the API server should have rejected gets here.
    return { ok: false, problems: [{ field: 'spec.analysis.windows', message: err instanceof Error ? err.message : String(err) }] };
  }
}

/**
 * The window rules live with the other operator-side checks of a Canary; they read only
 * analysis.windows of the spec, so a spec that holds nothing else asks them about windows.
 */
function windowProblems(windows: readonly DeploymentWindow[]): Problem[] {
  const probe: CanarySpec = {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'window-probe' },
    service: { port: 80 },
    analysis: { interval: '1m', threshold: 1, windows: [...windows] },
    progressDeadlineSeconds: 600,
    revertOnDeletion: true,
  };
  return canaryProblems(probe).filter((p) => p.field.startsWith('spec.analysis.windows'));
}

/** The first tick strictly after `afterMs`, in epoch milliseconds. */
function nextTick(window: CompiledWindow, afterMs: number): number | undefined {
  try {
    return window.cron.getNextDateFrom(new Date(afterMs), window.timeZone).toMillis();
  } catch {
    // The cron package gives up when nothing fires within eight years.
    return undefined;
  }
}

/**
 * Where the union of the windows open at now stops covering time (`closes`), or how far the
 * search got before giving up (`closes: false`).
 */
function coverageEnd(
  windows: readonly CompiledWindow[],
  covering: readonly { window: CompiledWindow; tick: number }[],
  nowMs: number,
): { end: number; closes: boolean } {
  let end = nowMs;
  for (const c of covering) end = Math.max(end, c.tick + c.window.durationMs);
  // The last tick examined per window; a later tick at or before `end` extends the coverage.
  // A window open now may tick again before now (every 15 minutes, open for 40): start from
  // the tick that opened it so that none is missed.
  const cursors = new Map<CompiledWindow, number>(windows.map((w) => [w, nowMs]));
  for (const c of covering) cursors.set(c.window, c.tick);
  for (let ticks = 0; ticks < MAX_CHAINED_TICKS; ) {
    let extended = false;
    for (const window of windows) {
      const tick = nextTick(window, cursors.get(window) ?? nowMs);
      if (tick === undefined || tick > end) continue;
      cursors.set(window, tick);
      end = Math.max(end, tick + window.durationMs);
      extended = true;
      ticks += 1;
    }
    if (!extended) return { end, closes: true };
  }
  return { end, closes: false };
}
