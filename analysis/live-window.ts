// Windows over the live counters the proxies report (proxy/stats-report.ts): the builtin
// metric provider's data. Every proxy reports cumulative per-backend counters about once a
// second; a window is the sum over proxies of how much each counter grew inside it.
//
// What makes this more than a subtraction:
// - a proxy restarts (new `startedAt`): its counters start again from zero, and the counts of
//   the old process up to its last report still belong to the window;
// - a counter goes down without a restart (a backend removed from the config and added back):
//   treated like Prometheus' rate() treats a counter reset, the new value is all growth;
// - proxies come and go: one that stopped reporting keeps what it counted while it lived, one
//   that appears mid-window contributes from its start;
// - the store may start long after a proxy did (operator restart): a proxy's first report is
//   then the baseline, rather than everything it counted since it started.
//
// Mirrored copies are kept as series of their own (mirroredSeries(backend)), so a window of a
// backend's served traffic never includes them and a mirror step can be judged on them alone.
//
// Deterministic and free of I/O: time comes in as arguments, so it is unit-tested directly.

import { LATENCY_BUCKETS_MS, type BackendCounters, type StatsReport } from '../proxy/stats-report.js';
import type { Histogram } from './stats/histogram.js';

const BUCKETS = LATENCY_BUCKETS_MS.length + 1;

/**
 * The series of the mirrored copies a backend answered. "/" never occurs in a backend name (a
 * Service name, optionally with ":port"), so the key cannot collide with a backend's own.
 */
export function mirroredSeries(backend: string): string {
  return `${backend}/mirrored`;
}

/** A report's counters by series: each backend's served requests, then its mirrored copies. */
function seriesOf(report: StatsReport): [string, BackendCounters][] {
  return [...Object.entries(report.backends), ...Object.entries(report.mirrored ?? {}).map(([backend, c]): [string, BackendCounters] => [mirroredSeries(backend), c])];
}

export function emptyCounters(): BackendCounters {
  return { requests: 0, errors: 0, latencyCounts: new Array<number>(BUCKETS).fill(0), latencySumMs: 0 };
}

export function addCounters(a: BackendCounters, b: BackendCounters): BackendCounters {
  const latencyCounts = new Array<number>(a.latencyCounts.length);
  for (let i = 0; i < latencyCounts.length; i++) latencyCounts[i] = (a.latencyCounts[i] as number) + (b.latencyCounts[i] ?? 0);
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, latencyCounts, latencySumMs: a.latencySumMs + b.latencySumMs };
}

function subtractCounters(later: BackendCounters, earlier: BackendCounters): BackendCounters {
  const latencyCounts = new Array<number>(later.latencyCounts.length);
  for (let i = 0; i < latencyCounts.length; i++) latencyCounts[i] = (later.latencyCounts[i] as number) - (earlier.latencyCounts[i] ?? 0);
  return {
    requests: later.requests - earlier.requests,
    errors: later.errors - earlier.errors,
    latencyCounts,
    latencySumMs: later.latencySumMs - earlier.latencySumMs,
  };
}

/** True when any counter went down: the proxy lost its counts for this backend since `before`. */
function wentDown(before: BackendCounters, after: BackendCounters): boolean {
  if (after.requests < before.requests || after.errors < before.errors || after.latencySumMs < before.latencySumMs) return true;
  for (let i = 0; i < after.latencyCounts.length; i++) {
    if ((after.latencyCounts[i] as number) < (before.latencyCounts[i] ?? 0)) return true;
  }
  return false;
}

function validateCounters(proxyId: string, backend: string, c: BackendCounters): void {
  // Plain comparisons (NaN fails both): this runs for every counter of every report.
  const valid = (v: number): boolean => v >= 0 && v < Infinity;
  let ok = valid(c.requests) && valid(c.errors) && valid(c.latencySumMs);
  for (let i = 0; ok && i < c.latencyCounts.length; i++) ok = valid(c.latencyCounts[i] as number);
  if (!ok) throw new Error(`stats report from ${proxyId}: counters of backend ${backend} must be finite and non-negative`);
  if (c.latencyCounts.length !== BUCKETS) {
    throw new Error(`stats report from ${proxyId}: backend ${backend} has ${c.latencyCounts.length} latency buckets, expected ${BUCKETS}`);
  }
}

export function latencyHistogram(c: BackendCounters): Histogram {
  return { upperBoundsMs: LATENCY_BUCKETS_MS, counts: c.latencyCounts };
}

interface Point {
  at: number;
  /** Reset-adjusted cumulative counters: they only grow, so any two points subtract to a window. */
  totals: ReadonlyMap<string, BackendCounters>;
}

interface Incarnation {
  proxyId: string;
  startedAt: number;
  points: Point[];
  /** Last raw counters per backend, to detect resets. */
  lastRaw: Map<string, BackendCounters>;
}

/** Counters per backend name accumulated over a window. */
export type WindowCounts = Record<string, BackendCounters>;

export interface Tick {
  from: number;
  to: number;
  backends: WindowCounts;
}

export interface LiveWindowStoreOptions {
  /**
   * How far back windows can reach; older reports are dropped. Default 15 minutes. Keep it
   * longer than the longest analysis step: the sequential test reads its step from the start.
   */
  retentionMs?: number;
}

/** Index of the last point at or before `t`, or -1. */
function lastAtOrBefore(points: readonly Point[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((points[mid] as Point).at <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Reports from all proxies of all namespaces. Namespaces are kept apart because backend names
 * (Service names) are only unique within one.
 */
export class LiveWindowStore {
  private readonly retentionMs: number;
  private readonly scopes = new Map<string, Map<string, Incarnation>>();

  constructor(options: LiveWindowStoreOptions = {}) {
    this.retentionMs = options.retentionMs ?? 15 * 60_000;
  }

  /**
   * Adds one report. `receivedAt` (the control plane's clock) is used as the report's time
   * when given, so that skewed proxy clocks cannot move counts between windows.
   */
  ingest(namespace: string, report: StatsReport, receivedAt: number = report.at): void {
    const series = seriesOf(report);
    for (const [backend, counters] of series) validateCounters(report.proxyId, backend, counters);
    let incarnations = this.scopes.get(namespace);
    if (!incarnations) {
      incarnations = new Map();
      this.scopes.set(namespace, incarnations);
    }
    const key = `${report.proxyId}@${report.startedAt}`;
    let inc = incarnations.get(key);
    if (!inc) {
      inc = { proxyId: report.proxyId, startedAt: report.startedAt, points: [], lastRaw: new Map() };
      incarnations.set(key, inc);
    }
    const previous = inc.points[inc.points.length - 1];
    // A late duplicate of an older report carries nothing new.
    if (previous && receivedAt < previous.at) return;
    const totals = new Map(previous?.totals ?? []);
    for (const [backend, raw] of series) {
      const before = inc.lastRaw.get(backend);
      const growth = before && !wentDown(before, raw) ? subtractCounters(raw, before) : raw;
      totals.set(backend, addCounters(totals.get(backend) ?? emptyCounters(), growth));
      inc.lastRaw.set(backend, raw);
    }
    inc.points.push({ at: receivedAt, totals });
    this.prune(receivedAt);
  }

  /** Drops what no window can reach any more: keeps one point at or before the horizon as a baseline. */
  prune(now: number): void {
    const horizon = now - this.retentionMs;
    for (const [namespace, incarnations] of this.scopes) {
      for (const [key, inc] of incarnations) {
        const last = inc.points[inc.points.length - 1];
        if (!last || last.at < horizon) {
          incarnations.delete(key);
          continue;
        }
        const keepFrom = lastAtOrBefore(inc.points, horizon);
        if (keepFrom > 0) inc.points.splice(0, keepFrom);
      }
      if (incarnations.size === 0) this.scopes.delete(namespace);
    }
  }

  /** Growth of the backends' counters (all, or those named) between `from` and `to`, summed over proxies. */
  window(namespace: string, from: number, to: number, backends?: readonly string[]): WindowCounts {
    const result: WindowCounts = {};
    const incarnations = this.scopes.get(namespace);
    if (!incarnations || !(to > from)) return result;
    for (const inc of incarnations.values()) {
      const endIndex = lastAtOrBefore(inc.points, to);
      if (endIndex < 0) continue;
      const end = inc.points[endIndex] as Point;
      const startIndex = lastAtOrBefore(inc.points, from);
      let base: ReadonlyMap<string, BackendCounters>;
      if (startIndex >= 0) base = (inc.points[startIndex] as Point).totals;
      else if (inc.startedAt >= from) base = new Map(); // started inside the window, from zero
      else base = (inc.points[0] as Point).totals; // reported first inside the window: its first report is the baseline
      for (const [backend, total] of end.totals) {
        if (backends && !backends.includes(backend)) continue;
        const growth = subtractCounters(total, base.get(backend) ?? emptyCounters());
        result[backend] = addCounters(result[backend] ?? emptyCounters(), growth);
      }
    }
    return result;
  }

  /** Consecutive windows of `stepMs` from `from` to `to` (the last one may be shorter). */
  series(namespace: string, from: number, to: number, stepMs: number, backends?: readonly string[]): Tick[] {
    if (!(stepMs > 0)) throw new Error(`step must be positive, got ${stepMs}`);
    const ticks: Tick[] = [];
    for (let start = from; start < to; start += stepMs) {
      const end = Math.min(start + stepMs, to);
      ticks.push({ from: start, to: end, backends: this.window(namespace, start, end, backends) });
    }
    return ticks;
  }

  /** The time of the newest report of a namespace, to tell "no traffic" from "no proxies reporting". */
  lastReportAt(namespace: string): number | undefined {
    let latest: number | undefined;
    for (const inc of this.scopes.get(namespace)?.values() ?? []) {
      const at = inc.points[inc.points.length - 1]?.at;
      if (at !== undefined && (latest === undefined || at > latest)) latest = at;
    }
    return latest;
  }
}
