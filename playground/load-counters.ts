// What the playground's clients saw, counted the way a user reads it: answers by version,
// the app's own errors by version, and requests that never reached an app (no endpoint,
// connection refused, a proxy's 502/503/504) by reason. Pure.

/** One request's result: the status and the version header of the answer, or why there was none. */
export type RequestOutcome = { status: number; version: string | undefined } | { error: string };

export interface LoadCounters {
  sent: number;
  /** 2xx answers, by the version that answered. */
  ok: Readonly<Record<string, number>>;
  /** Error answers of the app itself (it names its version), by version. */
  appErrors: Readonly<Record<string, number>>;
  /** Requests no app answered, by reason ("no endpoint", "ECONNREFUSED", "HTTP 503"). */
  unanswered: Readonly<Record<string, number>>;
}

export const NO_REQUESTS: LoadCounters = { sent: 0, ok: {}, appErrors: {}, unanswered: {} };

const plusOne = (counts: Readonly<Record<string, number>>, key: string): Record<string, number> => ({ ...counts, [key]: (counts[key] ?? 0) + 1 });

export function countOutcome(counters: LoadCounters, outcome: RequestOutcome): LoadCounters {
  const sent = counters.sent + 1;
  if ('error' in outcome) return { ...counters, sent, unanswered: plusOne(counters.unanswered, outcome.error) };
  if (outcome.version === undefined) return { ...counters, sent, unanswered: plusOne(counters.unanswered, `HTTP ${outcome.status}`) };
  if (outcome.status >= 200 && outcome.status < 300) return { ...counters, sent, ok: plusOne(counters.ok, outcome.version) };
  return { ...counters, sent, appErrors: plusOne(counters.appErrors, outcome.version) };
}

const sum = (counts: Readonly<Record<string, number>>): number => Object.values(counts).reduce((a, b) => a + b, 0);

/** Requests that did not get a 2xx answer, whatever the reason. */
export function failedRequests(counters: LoadCounters): number {
  return sum(counters.appErrors) + sum(counters.unanswered);
}

/** The difference between two readings of the same counters: what happened in between. */
export function countersSince(now: LoadCounters, before: LoadCounters): LoadCounters {
  const minus = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> =>
    Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)] as const).filter(([, v]) => v > 0));
  return { sent: now.sent - before.sent, ok: minus(now.ok, before.ok), appErrors: minus(now.appErrors, before.appErrors), unanswered: minus(now.unanswered, before.unanswered) };
}
