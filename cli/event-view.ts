// Kubernetes Events about a Canary, reduced to what the status view shows. Events reach us
// as plain JSON from lists and watches; which timestamp is set depends on the writer
// (core/v1 recorders set lastTimestamp, events.k8s.io/v1 recorders eventTime and series),
// so the newest of them is "last seen".

export interface EventView {
  /** Identity for de-duplication across watch updates. */
  uid: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  /** RFC 3339; undefined when the writer set no time at all. */
  lastSeen: string | undefined;
  /** resourceVersion of the Event: a count bump is a new version of the same uid. */
  version: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export function toEventView(raw: unknown): EventView {
  const event = isRecord(raw) ? raw : {};
  const metadata = isRecord(event.metadata) ? event.metadata : {};
  const series = isRecord(event.series) ? event.series : {};
  const times = [text(event.lastTimestamp), text(series.lastObservedTime), text(event.eventTime), text(event.firstTimestamp), text(metadata.creationTimestamp)];
  const lastSeen = times
    .filter((t): t is string => t !== undefined && !Number.isNaN(Date.parse(t)))
    .sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  const count = typeof series.count === 'number' ? series.count : typeof event.count === 'number' ? event.count : 1;
  return {
    uid: text(metadata.uid) ?? text(metadata.name) ?? '',
    type: text(event.type) ?? 'Normal',
    reason: text(event.reason) ?? '',
    message: (text(event.message) ?? text(event.note) ?? '').replace(/\s*\n\s*/g, ' '),
    count,
    lastSeen,
    version: text(metadata.resourceVersion) ?? '',
  };
}

/** Oldest first, newest last (the order a log reads in); at most `limit` of the newest. */
export function latestEvents(events: readonly EventView[], limit: number): EventView[] {
  const time = (e: EventView): number => (e.lastSeen === undefined ? 0 : Date.parse(e.lastSeen));
  const sorted = [...events].sort((a, b) => time(a) - time(b) || a.uid.localeCompare(b.uid));
  return limit <= 0 ? [] : sorted.slice(-limit);
}
