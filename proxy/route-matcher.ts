// Picks the rule a request follows: rules in order, first match wins. Matches are compiled
// once per snapshot into predicates so that the hot path never parses a regex.
import type { NamedMatch, PathMatch, RouteMatch, StringMatch } from './snapshot.js';
import { compileAnchoredRegex } from './snapshot.js';
import type { RequestFacts } from './request-facts.js';

type ValuePredicate = (value: string | undefined) => boolean;

export interface CompiledMatch {
  readonly method: string | undefined;
  readonly path: ValuePredicate | undefined;
  readonly headers: readonly { name: string; test: ValuePredicate }[];
  readonly cookies: readonly { name: string; test: ValuePredicate }[];
  readonly queryParams: readonly { name: string; test: ValuePredicate }[];
}

/** Anything that carries compiled matches; an empty list matches every request. */
export interface Matchable {
  readonly matches: readonly CompiledMatch[];
}

export function compileMatches(matches: readonly RouteMatch[] | undefined): CompiledMatch[] {
  return (matches ?? []).map((m) => ({
    method: m.method,
    path: m.path ? compilePathMatch(m.path) : undefined,
    // Node lower-cases incoming header names.
    headers: (m.headers ?? []).map((h) => ({ name: h.name.toLowerCase(), test: compileStringMatch(h) })),
    cookies: (m.cookies ?? []).map((c) => ({ name: c.name, test: compileStringMatch(c) })),
    queryParams: (m.queryParams ?? []).map((q) => ({ name: q.name, test: compileStringMatch(q) })),
  }));
}

/** Index of the first rule that matches, or -1. */
export function findMatchingRule(rules: readonly Matchable[], facts: RequestFacts): number {
  for (let i = 0; i < rules.length; i++) {
    const matches = (rules[i] as Matchable).matches;
    if (matches.length === 0) return i;
    for (const m of matches) if (matchOne(m, facts)) return i;
  }
  return -1;
}

function matchOne(m: CompiledMatch, facts: RequestFacts): boolean {
  if (m.method !== undefined && m.method !== facts.method) return false;
  if (m.path !== undefined && !m.path(facts.path)) return false;
  for (const h of m.headers) if (!h.test(facts.header(h.name))) return false;
  for (const c of m.cookies) if (!c.test(facts.cookie(c.name))) return false;
  for (const q of m.queryParams) if (!q.test(facts.queryParam(q.name))) return false;
  return true;
}

export function compileStringMatch(m: StringMatch | NamedMatch): ValuePredicate {
  if ('exact' in m) {
    const expected = m.exact;
    return (v) => v === expected;
  }
  if ('prefix' in m) {
    const prefix = m.prefix;
    return (v) => v !== undefined && v.startsWith(prefix);
  }
  if ('suffix' in m) {
    const suffix = m.suffix;
    return (v) => v !== undefined && v.endsWith(suffix);
  }
  if ('regex' in m) {
    const re = compileAnchoredRegex(m.regex);
    return (v) => v !== undefined && re.test(v);
  }
  const wanted = m.present;
  return (v) => (v !== undefined) === wanted;
}

export function compilePathMatch(m: PathMatch): ValuePredicate {
  if ('exact' in m) {
    const expected = m.exact;
    return (p) => p === expected;
  }
  if ('prefix' in m) {
    // Gateway API PathPrefix: whole segments, so "/api" does not match "/apis".
    const prefix = m.prefix.length > 1 && m.prefix.endsWith('/') ? m.prefix.slice(0, -1) : m.prefix;
    if (prefix === '/') return (p) => p !== undefined && p.startsWith('/');
    return (p) =>
      p !== undefined && p.startsWith(prefix) && (p.length === prefix.length || p.charCodeAt(prefix.length) === 47 /* / */);
  }
  const re = compileAnchoredRegex(m.regex);
  return (p) => p !== undefined && re.test(p);
}
