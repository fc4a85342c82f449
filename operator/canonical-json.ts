// Canonical JSON: key order and absent-versus-empty values do not matter. Used for hashes
// that must stay stable across operator versions (revisions) and for "did anything change"
// comparisons before writing status.
import { createHash } from 'node:crypto';

const ALGORITHM = 'r1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Drops undefined, null, empty objects and empty arrays; sorts keys. */
export function canonicalize(value: unknown): Json | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(canonicalize).filter((v): v is Json => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      const v = canonicalize((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return undefined;
}

export function canonicalHash(value: unknown): string {
  return `${ALGORITHM}-${createHash('sha256').update(JSON.stringify(canonicalize(value) ?? null)).digest('hex').slice(0, 20)}`;
}
