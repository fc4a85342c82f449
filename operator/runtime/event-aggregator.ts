// Decides how a stream of identical Kubernetes Events is written, so that a reconcile loop
// failing every few milliseconds produces one Event whose count goes up, not thousands of
// Events: the first occurrence creates an Event; repeats within the aggregation window bump
// its count and lastTimestamp, written at most once per minimum interval (a scheduled flush
// carries the repeats that arrived in between). Pure: the recorder performs the writes and
// owns the timers.

export interface AggregatorOptions {
  /** Repeats closer than this to the previous occurrence join the same Event. */
  windowMs: number;
  /** At most one write per Event in this interval. */
  minWriteIntervalMs: number;
  /** Occurrences tracked at once; the least recently seen are forgotten first. */
  maxEntries: number;
}

export const DEFAULT_AGGREGATOR_OPTIONS: AggregatorOptions = { windowMs: 10 * 60_000, minWriteIntervalMs: 30_000, maxEntries: 4096 };

export interface EventWrite {
  /** Name of the Event object. */
  name: string;
  count: number;
  firstAt: number;
  lastAt: number;
}

export type AggregateDecision =
  | { action: 'create'; write: EventWrite }
  | { action: 'update'; write: EventWrite }
  /** Nothing to write now: call flush(key) at `at`. */
  | { action: 'schedule'; at: number }
  /** Nothing to write now; a flush is already scheduled. */
  | { action: 'none' };

interface Entry {
  name: string;
  count: number;
  firstAt: number;
  lastAt: number;
  writtenCount: number;
  writtenAt: number;
  flushAt: number | undefined;
}

export class EventAggregator {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: AggregatorOptions = DEFAULT_AGGREGATOR_OPTIONS) {}

  get size(): number {
    return this.entries.size;
  }

  /** One occurrence of the event identified by `key`; `newName` names a new Event object. */
  record(key: string, now: number, newName: () => string): AggregateDecision {
    const entry = this.entries.get(key);
    if (!entry || now - entry.lastAt > this.options.windowMs) {
      const fresh: Entry = { name: newName(), count: 1, firstAt: now, lastAt: now, writtenCount: 1, writtenAt: now, flushAt: undefined };
      this.touch(key, fresh);
      return { action: 'create', write: writeOf(fresh) };
    }
    entry.count += 1;
    entry.lastAt = now;
    this.touch(key, entry);
    if (entry.flushAt !== undefined) return { action: 'none' };
    if (now - entry.writtenAt >= this.options.minWriteIntervalMs) {
      entry.writtenCount = entry.count;
      entry.writtenAt = now;
      return { action: 'update', write: writeOf(entry) };
    }
    entry.flushAt = entry.writtenAt + this.options.minWriteIntervalMs;
    return { action: 'schedule', at: entry.flushAt };
  }

  /** The scheduled flush of `key`: the repeats not written yet, if any. */
  flush(key: string, now: number): EventWrite | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.flushAt = undefined;
    if (entry.count <= entry.writtenCount) return undefined;
    entry.writtenCount = entry.count;
    entry.writtenAt = now;
    return writeOf(entry);
  }

  /** The Event object vanished (expired by the API server's TTL): the next write creates a new one. */
  renamed(key: string, name: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.name = name;
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}

function writeOf(entry: Entry): EventWrite {
  return { name: entry.name, count: entry.count, firstAt: entry.firstAt, lastAt: entry.lastAt };
}
