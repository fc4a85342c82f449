// Where snapshots come from. The proxy does not care: a source hands raw snapshots to a
// sink and learns whether each was applied (so that it can ACK or NACK upstream).
import type { Snapshot } from './snapshot.js';

export type ApplyResult = { ok: true; version: string } | { ok: false; error: string };

export interface ConfigSink {
  /** Validates and applies; on error the previous snapshot stays in force. */
  applySnapshot(raw: unknown): Promise<ApplyResult>;
  readonly currentVersion: string | undefined;
  currentSnapshot(): Snapshot | undefined;
}

export interface ConfigSource {
  /** For logs, e.g. `file /etc/sluice/config.yaml`. */
  readonly description: string;
  /** Delivers the first snapshot (resolving once it was offered) and keeps delivering changes. */
  start(sink: ConfigSink): Promise<void>;
  stop(): Promise<void>;
}
