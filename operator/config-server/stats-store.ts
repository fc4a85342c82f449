// The latest live-counter report of every proxy, by namespace, for consumers such as the
// analysis engine's builtin metric provider (which computes windows from the deltas between
// reports; counters are cumulative). A proxy's last report is kept after it disconnects, for
// `retentionMs`, so that a brief reconnect does not lose the baseline of its counters.
import type { StatsReport } from '../../proxy/stats-report.js';
import { systemClock, type Clock } from '../runtime/clock.js';

export interface ReceivedStats {
  namespace: string;
  proxyId: string;
  /** When the config server received it (epoch ms, server clock). */
  receivedAt: number;
  report: StatsReport;
}

export type StatsListener = (stats: ReceivedStats) => void;

export class StatsStore {
  private readonly byNamespace = new Map<string, Map<string, ReceivedStats>>();
  private readonly listeners = new Set<StatsListener>();
  private readonly clock: Clock;

  constructor(
    private readonly options: { retentionMs?: number; clock?: Clock; onListenerError?: (err: unknown) => void } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  record(namespace: string, report: StatsReport): void {
    let proxies = this.byNamespace.get(namespace);
    if (!proxies) {
      proxies = new Map();
      this.byNamespace.set(namespace, proxies);
    }
    const stats: ReceivedStats = { namespace, proxyId: report.proxyId, receivedAt: this.clock.now(), report };
    proxies.set(report.proxyId, stats);
    for (const listener of this.listeners) {
      try {
        listener(stats);
      } catch (err) {
        this.options.onListenerError?.(err);
      }
    }
  }

  /** The latest report of each proxy of `namespace` received within the retention period. */
  latest(namespace: string): ReceivedStats[] {
    const proxies = this.byNamespace.get(namespace);
    if (!proxies) return [];
    this.prune(namespace, proxies);
    return [...proxies.values()];
  }

  latestOf(namespace: string, proxyId: string): ReceivedStats | undefined {
    return this.latest(namespace).find((s) => s.proxyId === proxyId);
  }

  namespaces(): string[] {
    return [...this.byNamespace.keys()].filter((ns) => this.latest(ns).length > 0);
  }

  /** Calls `listener` with every report as it arrives; returns the unsubscribe function. */
  subscribe(listener: StatsListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private prune(namespace: string, proxies: Map<string, ReceivedStats>): void {
    const cutoff = this.clock.now() - (this.options.retentionMs ?? 5 * 60_000);
    for (const [proxyId, stats] of proxies) if (stats.receivedAt < cutoff) proxies.delete(proxyId);
    if (proxies.size === 0) this.byNamespace.delete(namespace);
  }
}
