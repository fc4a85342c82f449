// The wire protocol between the config server (operator) and the proxies' control-plane
// client. Both sides import this file; neither redefines it.
//
// Transport: one long-lived HTTP/1.1 request per proxy, `POST /v1/stream`, with
// newline-delimited JSON flowing both ways at once (the request body from the proxy, the
// response body from the server, both chunked). Why one duplex request rather than a GET
// stream plus separate POSTs for acks and stats:
// - one authentication per connection, and a connection IS a proxy's presence: when it ends,
//   the server knows that proxy is gone, which "ACKed by every connected proxy" relies on;
// - ACKs travel on the same ordered stream as the snapshots they answer, so an ACK can never
//   overtake the snapshot it refers to or arrive from a connection the server has forgotten;
// - plain HTTP/1.1 and JSON lines: debuggable with curl, no extra dependency (no gRPC/HTTP/2
//   stack), and Node's http client and server both support a request body and a response body
//   streaming at the same time. The connection runs directly from the proxy pod to the
//   operator Service (no buffering intermediary), which full-duplex HTTP/1.1 needs.
//
// Request: `POST /v1/stream?proxyId=<id>[&namespace=<ns>]` with `Authorization: Bearer
// <ServiceAccount token>`. The namespace defaults to the ServiceAccount's; any other is
// refused with 403, a missing or invalid token with 401, before any streaming starts.
//
// Server → proxy: `snapshot` (the full current snapshot on connect and after each change) and
// `ping`. Proxy → server: `ack`/`nack` for each snapshot version, `stats` about every second
// and `ping`. Either side drops the connection when it has heard nothing for a few heartbeat
// intervals.
import { LATENCY_BUCKETS_MS, type BackendCounters, type StatsReport } from '../../proxy/stats-report.js';

export const STREAM_PATH = '/v1/stream';
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** Defaults both sides agree on. */
export const PROTOCOL_DEFAULTS = {
  heartbeatIntervalMs: 2_000,
  /** Silence after which a peer is considered gone: three missed heartbeats. */
  idleTimeoutMs: 6_000,
  statsIntervalMs: 1_000,
} as const;

/** Longest line the server accepts from a proxy (stats reports are a few kB). */
export const MAX_CLIENT_LINE_BYTES = 1 << 20;
/** Longest line a proxy accepts from the server (a snapshot of a large namespace). */
export const MAX_SERVER_LINE_BYTES = 64 << 20;

export type ServerMessage =
  | { type: 'snapshot'; version: string; snapshot: unknown }
  | { type: 'ping' };

export type ClientMessage =
  | { type: 'ack'; version: string }
  | { type: 'nack'; version: string; error: string }
  | { type: 'stats'; report: StatsReport }
  | { type: 'ping' };

export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

export function encodeMessage(message: ServerMessage | ClientMessage): string {
  return `${JSON.stringify(message)}\n`;
}

export function parseServerMessage(line: string): Parsed<ServerMessage> {
  const o = parseObject(line);
  if (!o.ok) return o;
  const m = o.message;
  if (m.type === 'ping') return { ok: true, message: { type: 'ping' } };
  if (m.type === 'snapshot') {
    if (typeof m.version !== 'string' || m.version.length === 0) return { ok: false, error: 'snapshot without a version' };
    if (!('snapshot' in m)) return { ok: false, error: 'snapshot message without a snapshot' };
    return { ok: true, message: { type: 'snapshot', version: m.version, snapshot: m.snapshot } };
  }
  return { ok: false, error: `unknown message type ${JSON.stringify(m.type)}` };
}

export function parseClientMessage(line: string): Parsed<ClientMessage> {
  const o = parseObject(line);
  if (!o.ok) return o;
  const m = o.message;
  switch (m.type) {
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    case 'ack':
      if (typeof m.version !== 'string') return { ok: false, error: 'ack without a version' };
      return { ok: true, message: { type: 'ack', version: m.version } };
    case 'nack':
      if (typeof m.version !== 'string') return { ok: false, error: 'nack without a version' };
      if (typeof m.error !== 'string') return { ok: false, error: 'nack without an error' };
      return { ok: true, message: { type: 'nack', version: m.version, error: m.error.slice(0, 4096) } };
    case 'stats': {
      const report = validateStatsReport(m.report);
      if (!report.ok) return report;
      return { ok: true, message: { type: 'stats', report: report.message } };
    }
    default:
      return { ok: false, error: `unknown message type ${JSON.stringify(m.type)}` };
  }
}

/** Checks the shape of a StatsReport received from the network. */
export function validateStatsReport(raw: unknown): Parsed<StatsReport> {
  if (!isRecord(raw)) return { ok: false, error: 'stats report must be an object' };
  const { proxyId, startedAt, at, snapshotVersion, backends, mirrored } = raw;
  if (typeof proxyId !== 'string' || proxyId.length === 0) return { ok: false, error: 'stats report: proxyId must be a non-empty string' };
  if (!isFiniteNumber(startedAt)) return { ok: false, error: 'stats report: startedAt must be a number' };
  if (!isFiniteNumber(at)) return { ok: false, error: 'stats report: at must be a number' };
  if (typeof snapshotVersion !== 'string') return { ok: false, error: 'stats report: snapshotVersion must be a string' };
  const served = validateCounterTable(backends, 'backends');
  if (!served.ok) return served;
  // Optional: proxies older than the field do not send it.
  const copies = mirrored === undefined ? undefined : validateCounterTable(mirrored, 'mirrored');
  if (copies && !copies.ok) return copies;
  return { ok: true, message: { proxyId, startedAt, at, snapshotVersion, backends: served.message, ...(copies ? { mirrored: copies.message } : {}) } };
}

/** Per-backend counters: `backends` (served requests) or `mirrored` (copies). */
function validateCounterTable(raw: unknown, field: 'backends' | 'mirrored'): Parsed<Record<string, BackendCounters>> {
  if (!isRecord(raw)) return { ok: false, error: `stats report: ${field} must be an object` };
  const checked: Record<string, BackendCounters> = {};
  for (const [name, value] of Object.entries(raw)) {
    const at = `${field}[${JSON.stringify(name)}]`;
    if (!isRecord(value)) return { ok: false, error: `stats report: ${at} must be an object` };
    const { requests, errors, latencyCounts, latencySumMs } = value;
    if (!isCount(requests) || !isCount(errors)) return { ok: false, error: `stats report: ${at} requests/errors must be counts` };
    if (!isFiniteNumber(latencySumMs) || latencySumMs < 0) return { ok: false, error: `stats report: ${at}.latencySumMs must be a non-negative number` };
    if (!Array.isArray(latencyCounts) || latencyCounts.length !== LATENCY_BUCKETS_MS.length + 1 || !latencyCounts.every(isCount)) {
      return { ok: false, error: `stats report: ${at}.latencyCounts must hold ${LATENCY_BUCKETS_MS.length + 1} counts` };
    }
    checked[name] = { requests, errors, latencyCounts: latencyCounts as number[], latencySumMs };
  }
  return { ok: true, message: checked };
}

function parseObject(line: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  if (!isRecord(value)) return { ok: false, error: 'message must be a JSON object' };
  return { ok: true, message: value };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isCount(value: unknown): value is number {
  return isFiniteNumber(value) && value >= 0;
}
