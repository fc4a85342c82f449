// The JSON merge patch (RFC 7386) that turns one status into another. A merge patch keeps
// every key it does not mention, so a status written whole would keep fields the state
// machine dropped (a finished rollout's step bookkeeping would leak into the next rollout:
// its analysis window, pre-rollout result, mirror step). Keys that are gone become null.
// Pure.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A merge patch from `previous` to `next`; undefined when nothing changes. */
export function mergePatch(previous: unknown, next: unknown): Json | undefined {
  if (!isPlainObject(previous) || !isPlainObject(next)) {
    return JSON.stringify(previous) === JSON.stringify(next) ? undefined : ((next ?? null) as Json);
  }
  const patch: Record<string, Json> = {};
  for (const key of Object.keys(previous)) {
    if (previous[key] !== undefined && next[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const change = previous[key] === undefined ? (value as Json) : mergePatch(previous[key], value);
    if (change !== undefined) patch[key] = change;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
