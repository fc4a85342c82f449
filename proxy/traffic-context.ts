// What a request needs from the proxy around it. Kept as an interface so that the request
// logic does not depend on how the server is assembled.
import type { Logger } from 'pino';
import type { PoolTable } from './backend-pool.js';
import type { CompiledSnapshot } from './compiled-snapshot.js';
import type { HttpForwarder } from './http-forwarder.js';
import type { LiveStats } from './live-stats.js';
import type { ProxyMetrics } from './metrics.js';
import type { Random } from './random.js';

/** The configuration in force: swapped as one reference, so a request sees one consistent version. */
export interface ActiveConfig {
  readonly compiled: CompiledSnapshot;
  readonly pools: PoolTable;
  /** Epoch ms. */
  readonly appliedAt: number;
}

export interface TrafficContext {
  readonly forwarder: HttpForwarder;
  readonly metrics: ProxyMetrics;
  readonly stats: LiveStats;
  readonly logger: Logger;
  /** Set when access logging is on. */
  readonly accessLog: Logger | undefined;
  readonly random: Random;
  /** Epoch ms; drives ejection windows. */
  now(): number;
  mirrorsInFlight(listener: string): number;
  mirrorStarted(listener: string): void;
  mirrorEnded(listener: string): void;
}
