// Sticky sessions: a client that was sent to a backend keeps going there (a user who got
// the canary keeps it), as long as that backend still has weight in the rule.
import type { Random } from './random.js';
import { pickWeighted, type WeightedChoice } from './weighted-choice.js';

export interface AffinityDecision {
  readonly backend: string;
  /** True when the client must be told (again) which backend it is bound to. */
  readonly setCookie: boolean;
}

export function chooseBackend(
  choices: readonly WeightedChoice[],
  stickyBackend: string | undefined,
  random: Random,
): AffinityDecision {
  if (stickyBackend !== undefined) {
    for (const c of choices) {
      if (c.name === stickyBackend && c.weight > 0) return { backend: stickyBackend, setCookie: false };
    }
  }
  return { backend: pickWeighted(choices, random), setCookie: true };
}

/** The Set-Cookie value that binds a client to a backend. */
export function affinityCookie(cookieName: string, backend: string, maxAgeMs: number): string {
  return `${cookieName}=${encodeURIComponent(backend)}; Path=/; Max-Age=${Math.floor(maxAgeMs / 1000)}; HttpOnly; SameSite=Lax`;
}

/** Reads the backend name back from the cookie value. */
export function backendFromCookie(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
