// The figures of one rollout, from what the clients saw (pure: load samples and Canary
// status observations in, numbers out):
//
// - failed requests: every answer that was not a 200, split into the app's own 500s (by
//   version) and failures of the mesh (the proxy answering itself, or no answer at all);
// - time to safety: from the first bad answer the canary gave a client to the moment no
//   client request reaches the canary any more (the send time of the last request it
//   answered), and, from the Canary's status, to the first observation of 0% canary weight.
import type { LoadSample } from './load-generator.js';

export interface StatusObservation {
  /** Epoch ms. */
  at: number;
  phase?: string;
  canaryWeight?: number;
  message?: string;
}

export interface RolloutFigures {
  requests: number;
  /** Answers other than 200. */
  failed: number;
  /** The app's own 500s, by version. */
  appErrors: Record<string, number>;
  /** Mesh failures by kind: "502 upstream-failure", "no answer: ECONNREFUSED", ... */
  meshFailures: Record<string, number>;
  byVersion: Record<string, number>;
  /** Epoch ms of the first bad answer from the canary. */
  firstBadAt?: number;
  /** Send time of the last request the canary answered after its first bad answer. */
  lastCanaryAt?: number;
  /** Seconds from the first bad answer until no request reached the canary. */
  secondsToNoCanaryTraffic?: number;
  /** Seconds from the first bad answer until the Canary's status first showed 0% weight. */
  secondsToZeroWeight?: number;
}

export interface FigureOptions {
  canaryVersion: string;
  /** A bad answer of the canary: an error, or too slow. */
  isBad: (sample: LoadSample) => boolean;
}

function failureKind(s: LoadSample): string {
  if (s.status === 0) return `no answer: ${s.error ?? 'unknown'}`;
  return s.reply ? `${s.status} ${s.reply}` : `${s.status}${s.version ? ` from ${s.version}` : ''}`;
}

export function rolloutFigures(samples: readonly LoadSample[], statuses: readonly StatusObservation[], options: FigureOptions): RolloutFigures {
  const sorted = [...samples].sort((a, b) => a.sentAt - b.sentAt);
  const figures: RolloutFigures = { requests: sorted.length, failed: 0, appErrors: {}, meshFailures: {}, byVersion: {} };
  for (const s of sorted) {
    if (s.version) figures.byVersion[s.version] = (figures.byVersion[s.version] ?? 0) + 1;
    if (s.status === 200) continue;
    figures.failed++;
    // The demo app's own failure carries its version; the proxy's answers and lost requests do not.
    if (s.status === 500 && s.version && !s.reply) figures.appErrors[s.version] = (figures.appErrors[s.version] ?? 0) + 1;
    else {
      const kind = failureKind(s);
      figures.meshFailures[kind] = (figures.meshFailures[kind] ?? 0) + 1;
    }
  }
  const firstBad = sorted.find((s) => s.version === options.canaryVersion && options.isBad(s));
  if (!firstBad) return figures;
  // When the canary answered: the bad answer arrived `ms` after it was sent.
  const firstBadAt = firstBad.sentAt + firstBad.ms;
  figures.firstBadAt = firstBadAt;
  const canary = sorted.filter((s) => s.version === options.canaryVersion);
  const last = canary[canary.length - 1];
  if (last) {
    figures.lastCanaryAt = last.sentAt;
    figures.secondsToNoCanaryTraffic = Math.max(0, last.sentAt - firstBadAt) / 1000;
  }
  const zero = statuses.find((o) => o.at >= firstBadAt && o.canaryWeight === 0);
  if (zero) figures.secondsToZeroWeight = (zero.at - firstBadAt) / 1000;
  return figures;
}

/** One line for logs and the benchmark: the figures that matter. */
export function describeFigures(f: RolloutFigures): string {
  const parts = [`${f.requests} requests`, `${f.failed} failed`];
  const app = Object.entries(f.appErrors).map(([v, n]) => `${n} app 500s from ${v}`);
  const mesh = Object.entries(f.meshFailures).map(([k, n]) => `${n}× ${k}`);
  if (app.length + mesh.length > 0) parts.push(`(${[...app, ...mesh].join(', ')})`);
  if (f.secondsToNoCanaryTraffic !== undefined) parts.push(`first bad answer → no canary traffic ${f.secondsToNoCanaryTraffic.toFixed(1)} s`);
  if (f.secondsToZeroWeight !== undefined) parts.push(`→ status at 0% ${f.secondsToZeroWeight.toFixed(1)} s`);
  return parts.join(', ');
}
