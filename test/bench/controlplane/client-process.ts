// Many proxy stand-ins in one process, each with its own connection, reporting counters every
// second. BENCH_MODE selects how much work each does per snapshot:
// - "raw": RawClient, no parsing (measures the control plane itself);
// - "lightweight": the real ControlPlaneClient, accepting every snapshot unvalidated;
// - "validating": the real ControlPlaneClient validating every snapshot as a proxy does (so
//   500 proxies' worth of validation competes for this machine's cores, where a cluster would
//   give every proxy its own).
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { encodeMessage } from '../../../operator/config-server/protocol.js';
import { ControlPlaneClient } from '../../../proxy/control-plane-client.js';
import { validateSnapshot } from '../../../proxy/snapshot.js';
import { LATENCY_BUCKETS_MS, type StatsReport } from '../../../proxy/stats-report.js';
import type { ClientReply } from './messages.js';
import { RawClient } from './raw-client.js';

const count = Number(process.env.BENCH_CLIENTS ?? 1);
const prefix = process.env.BENCH_PREFIX ?? `bench-${process.pid}`;
const mode = process.env.BENCH_MODE ?? 'validating';
const url = process.env.BENCH_URL ?? '';
const tokenFile = process.env.BENCH_TOKEN_FILE ?? '';
const log = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'error' });
const startedAt = Date.now();
const stoppers: (() => Promise<void> | void)[] = [];

function report(proxyId: string, requests: number, version: string): StatsReport {
  const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  counts[6] = requests;
  return {
    proxyId,
    startedAt,
    at: Date.now(),
    snapshotVersion: version,
    backends: {
      'app0-primary': { requests, errors: 1, latencyCounts: counts, latencySumMs: requests * 4 },
      'app0-canary': { requests: requests / 10, errors: 0, latencyCounts: counts, latencySumMs: requests * 0.4 },
    },
  };
}

for (let i = 0; i < count; i++) {
  const proxyId = `${prefix}-${i}`;
  if (mode === 'raw') {
    const client = new RawClient(url, proxyId, readFileSync(tokenFile, 'utf8').trim(), encodeMessage({ type: 'stats', report: report(proxyId, 100, '') }));
    client.start();
    stoppers.push(() => client.stop());
    continue;
  }
  let requests = 0;
  const client: ControlPlaneClient = new ControlPlaneClient({
    url,
    proxyId,
    tokenFile,
    log,
    apply: (snapshot) => {
      if (mode !== 'validating') return { ok: true };
      const result = validateSnapshot(snapshot);
      return result.ok ? { ok: true } : { ok: false, error: result.error };
    },
    stats: () => report(proxyId, (requests += 100), client.appliedVersion ?? ''),
  });
  client.start();
  stoppers.push(() => client.stop());
}

const started: ClientReply = { reply: 'started', count };
process.send?.(started);

process.on('disconnect', () => {
  void Promise.all(stoppers.map((stop) => stop())).then(() => process.exit(0));
});
