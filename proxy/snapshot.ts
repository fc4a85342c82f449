// The configuration a Sluice proxy runs on: one immutable, versioned snapshot, built by the
// control plane (operator/) from MeshRoutes and EndpointSlices, or read from a file locally.
// This file is the contract between the two: the operator imports these types to build
// snapshots and the proxy validates every snapshot with `validateSnapshot` before applying
// it. A snapshot that fails validation is rejected whole; the proxy keeps the previous one.
//
// Conventions:
// - Durations are numbers of milliseconds (the control plane converts from "1s", "500ms").
// - Names of rules follow Gateway API HTTPRoute vocabulary; a rule is reported in metrics
//   as `<listener name>/<rule name>`.
// - Backend names are opaque keys chosen by the control plane (for canaries
//   `<target>-primary` and `<target>-canary`); they label metrics and live counters.
// - Optional fields have the documented defaults (see `DEFAULTS`).
// - Unknown fields are rejected, so that a typo never silently disables a feature.

/** A duration in milliseconds. */
export type DurationMs = number;

export interface Snapshot {
  /** Opaque version chosen by the producer; echoed in ACKs, metrics and `/config`. */
  version: string;
  /** One listener per MeshRoute: its own port, so that routing never depends on Host alone. */
  listeners: ListenerConfig[];
  /** Backends that rules refer to, by name. */
  backends: Record<string, BackendConfig>;
}

export interface ListenerConfig {
  /** Unique among listeners; the first half of the route label. */
  name: string;
  /** TCP port to listen on; 0 picks a free port (tests), the proxy reports the actual one. */
  port: number;
  /** Evaluated in order; the first rule with a matching `matches` entry wins. */
  rules: RouteRule[];
  /** How a request picks an endpoint within a backend. Default `least-request`. */
  loadBalancing?: LoadBalancingPolicy;
  /** Passive health checking of endpoints. */
  outlierDetection?: OutlierDetectionSettings;
  /** Caps retries so that they cannot multiply load during an outage. */
  retryBudget?: RetryBudgetSettings;
  /** Bounds on the resources that mirrored copies may use. */
  mirrorLimits?: MirrorLimits;
}

/**
 * `least-request`: two endpoints drawn at random, the one with fewer requests in flight wins
 * (power of two choices). `round-robin`: endpoints in turn.
 */
export type LoadBalancingPolicy = 'least-request' | 'round-robin';

export interface OutlierDetectionSettings {
  /** Consecutive failures (5xx, connect failure, reset, timeout) that eject an endpoint. 0 disables. Default 5. */
  consecutiveFailures?: number;
  /** First ejection lasts this long; each further ejection of the same endpoint lasts one more multiple. Default 30000. */
  baseEjectionTime?: DurationMs;
  /** Upper bound of one ejection. Default 300000. */
  maxEjectionTime?: DurationMs;
  /**
   * No new ejection while this share (0–100) of a backend's endpoints is already ejected; at
   * least one endpoint can always be ejected. Default 50.
   */
  maxEjectionPercent?: number;
}

export interface RetryBudgetSettings {
  /** Retries in flight may not exceed this percentage (0–100) of requests in flight. Default 20. */
  budgetPercent?: number;
  /** Retries always allowed in flight regardless of the percentage. Default 3. */
  minRetryConcurrency?: number;
}

export interface MirrorLimits {
  /** Mirrored copies in flight on this listener; further copies are dropped. Default 100. */
  maxInFlight?: number;
  /** Deadline of one mirrored copy, after which it is abandoned. Default 5000. */
  timeout?: DurationMs;
  /** A copy whose unsent request body exceeds this many bytes is abandoned. Default 1048576. */
  maxBufferedBytes?: number;
}

export interface RouteRule {
  /** Unique within the listener; the second half of the route label. */
  name: string;
  /** Any one entry must match (OR); within an entry every condition must hold (AND). Absent or empty: matches every request. */
  matches?: RouteMatch[];
  /** Where matching requests go, split by weight. At least one, total weight > 0. */
  backends: WeightedBackend[];
  /** A share of requests also copied to another backend; the client only sees the primary's response. */
  mirror?: MirrorPolicy;
  /** Time from the request's arrival to the upstream response headers, retries included (504 past it). 0 disables. Default 15000. */
  timeout?: DurationMs;
  /** Absent: no retries (a request on a stale keep-alive connection is still replayed once). */
  retries?: RetryPolicy;
  /** Keeps a client on the backend it was first sent to, by cookie. */
  sessionAffinity?: SessionAffinity;
  /** Deliberate failures for rehearsing incidents. */
  faults?: FaultInjection;
}

/** Conditions on one request; every condition present must hold. */
export interface RouteMatch {
  path?: PathMatch;
  /** HTTP method, upper case (`GET`). */
  method?: string;
  /** Header names are case-insensitive. */
  headers?: NamedMatch[];
  cookies?: NamedMatch[];
  /** The first value of the parameter is matched. */
  queryParams?: NamedMatch[];
}

/**
 * Exactly one of the keys. `regex` must match the whole value (it is anchored). `present: true`
 * requires the value to exist (any value), `present: false` requires it to be absent.
 */
export type StringMatch =
  | { exact: string }
  | { prefix: string }
  | { suffix: string }
  | { regex: string }
  | { present: boolean };

export type NamedMatch = { name: string } & StringMatch;

/**
 * Matches the path without the query string. `prefix` matches whole path segments, as in
 * Gateway API: `/api` matches `/api`, `/api/` and `/api/v1`, not `/apis`.
 */
export type PathMatch = { exact: string } | { prefix: string } | { regex: string };

export interface WeightedBackend {
  /** A key of `Snapshot.backends`. */
  name: string;
  /** Integer 0–100000; shares are weight / total weight of the rule. */
  weight: number;
}

export interface MirrorPolicy {
  /** A key of `Snapshot.backends`. */
  backend: string;
  /** Share of matching requests copied, 0–100 (fractions allowed). */
  percent: number;
}

export type RetryCondition = 'connect-failure' | 'reset' | 'timeout' | '5xx' | 'gateway-error';

export interface RetryPolicy {
  /** Retries after the first try, 0–5. */
  attempts: number;
  /** Deadline of one try (to response headers); a try past it is abandoned and counts as `timeout`. Absent: only the rule timeout applies. */
  perTryTimeout?: DurationMs;
  /**
   * What is retried: `connect-failure`, `reset` (connection lost before the response),
   * `timeout` (per-try timeout), `5xx`, `gateway-error` (502, 503, 504), or a status code
   * such as `"429"`. Default `['connect-failure', 'reset', 'timeout', '503']`.
   */
  retryOn?: string[];
  /** Base of the jittered exponential backoff between tries. Default 25. */
  backoff?: DurationMs;
}

export interface SessionAffinity {
  /** Cookie that records the backend a client was sent to. */
  cookieName: string;
  /** Lifetime of the cookie. Default 86400000 (one day). */
  maxAge?: DurationMs;
}

export interface FaultInjection {
  /** Answer with `httpStatus` instead of forwarding. */
  abort?: { percent: number; httpStatus: number };
  /** Wait `fixedDelay` before forwarding. */
  delay?: { percent: number; fixedDelay: DurationMs };
}

export interface BackendConfig {
  /** Addresses of the backend's pods; only `ready` ones receive traffic. */
  endpoints: Endpoint[];
}

export interface Endpoint {
  /** IPv4 or IPv6 literal (or a host name, for local use). */
  address: string;
  port: number;
  ready: boolean;
}

/** Values used when an optional field is absent. */
export const DEFAULTS = {
  loadBalancing: 'least-request' as LoadBalancingPolicy,
  outlierDetection: {
    consecutiveFailures: 5,
    baseEjectionTime: 30_000,
    maxEjectionTime: 300_000,
    maxEjectionPercent: 50,
  },
  retryBudget: { budgetPercent: 20, minRetryConcurrency: 3 },
  mirrorLimits: { maxInFlight: 100, timeout: 5_000, maxBufferedBytes: 1_048_576 },
  timeout: 15_000,
  retryOn: ['connect-failure', 'reset', 'timeout', '503'],
  retryBackoff: 25,
  sessionMaxAge: 86_400_000,
} as const;

/** Limits enforced by the validator. */
export const LIMITS = {
  maxWeight: 100_000,
  maxRetryAttempts: 5,
  maxRegexLength: 1_000,
} as const;

export type ValidationResult = { ok: true; snapshot: Snapshot } | { ok: false; error: string };

/**
 * Checks that `raw` is a well-formed snapshot. On success returns a deep copy (frozen) that
 * later mutation of `raw` cannot affect; on failure an error that starts with the path of the
 * offending field, e.g. `listeners[0].rules[2].matches[0].headers[0].regex: invalid regular expression ...`.
 */
export function validateSnapshot(raw: unknown): ValidationResult {
  try {
    return { ok: true, snapshot: deepFreeze(readSnapshot(raw)) };
  } catch (err) {
    if (err instanceof InvalidField) return { ok: false, error: err.message };
    throw err;
  }
}

/** Compiles a match regex the way the proxy evaluates it: anchored, whole value. */
export function compileAnchoredRegex(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

class InvalidField extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
  }
}

type Json = Record<string, unknown>;

// RFC 9110 token: header, cookie and method names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RETRY_CONDITIONS: readonly string[] = ['connect-failure', 'reset', 'timeout', '5xx', 'gateway-error'];
const STATUS_CODE = /^[1-5][0-9][0-9]$/;

function readSnapshot(raw: unknown): Snapshot {
  const o = object(raw, '(snapshot)');
  allowKeys(o, '(snapshot)', ['version', 'listeners', 'backends']);
  const version = string(o.version, 'version');
  if (version.length === 0) throw new InvalidField('version', 'must not be empty');

  const backendsRaw = object(o.backends, 'backends');
  const backends: Record<string, BackendConfig> = {};
  for (const [name, value] of Object.entries(backendsRaw)) {
    const path = `backends[${JSON.stringify(name)}]`;
    if (name.length === 0) throw new InvalidField(path, 'backend name must not be empty');
    backends[name] = readBackend(value, path);
  }

  const listeners = array(o.listeners, 'listeners').map((l, i) =>
    readListener(l, `listeners[${i}]`, backends),
  );
  const names = new Set<string>();
  const ports = new Set<number>();
  listeners.forEach((l, i) => {
    if (names.has(l.name)) throw new InvalidField(`listeners[${i}].name`, `duplicate listener name ${JSON.stringify(l.name)}`);
    names.add(l.name);
    if (l.port !== 0) {
      if (ports.has(l.port)) throw new InvalidField(`listeners[${i}].port`, `port ${l.port} is used by another listener`);
      ports.add(l.port);
    }
  });
  return { version, listeners, backends };
}

function readBackend(raw: unknown, path: string): BackendConfig {
  const o = object(raw, path);
  allowKeys(o, path, ['endpoints']);
  const endpoints = array(o.endpoints, `${path}.endpoints`).map((e, i) => {
    const p = `${path}.endpoints[${i}]`;
    const eo = object(e, p);
    allowKeys(eo, p, ['address', 'port', 'ready']);
    const address = string(eo.address, `${p}.address`);
    if (address.length === 0 || /[\s/]/.test(address)) throw new InvalidField(`${p}.address`, 'must be an IP address or host name');
    return { address, port: integer(eo.port, `${p}.port`, 1, 65535), ready: boolean(eo.ready, `${p}.ready`) };
  });
  return { endpoints };
}

function readListener(raw: unknown, path: string, backends: Record<string, BackendConfig>): ListenerConfig {
  const o = object(raw, path);
  allowKeys(o, path, ['name', 'port', 'rules', 'loadBalancing', 'outlierDetection', 'retryBudget', 'mirrorLimits']);
  const name = string(o.name, `${path}.name`);
  if (name.length === 0 || name.includes('/')) throw new InvalidField(`${path}.name`, 'must be non-empty and contain no "/"');
  const listener: ListenerConfig = {
    name,
    port: integer(o.port, `${path}.port`, 0, 65535),
    rules: array(o.rules, `${path}.rules`).map((r, i) => readRule(r, `${path}.rules[${i}]`, backends)),
  };
  const ruleNames = new Set<string>();
  listener.rules.forEach((r, i) => {
    if (ruleNames.has(r.name)) throw new InvalidField(`${path}.rules[${i}].name`, `duplicate rule name ${JSON.stringify(r.name)}`);
    ruleNames.add(r.name);
  });
  if (o.loadBalancing !== undefined) {
    const lb = string(o.loadBalancing, `${path}.loadBalancing`);
    if (lb !== 'least-request' && lb !== 'round-robin') {
      throw new InvalidField(`${path}.loadBalancing`, 'must be "least-request" or "round-robin"');
    }
    listener.loadBalancing = lb;
  }
  if (o.outlierDetection !== undefined) {
    const p = `${path}.outlierDetection`;
    const od = object(o.outlierDetection, p);
    allowKeys(od, p, ['consecutiveFailures', 'baseEjectionTime', 'maxEjectionTime', 'maxEjectionPercent']);
    listener.outlierDetection = dropUndefined({
      consecutiveFailures: optional(od.consecutiveFailures, (v) => integer(v, `${p}.consecutiveFailures`, 0, 1000)),
      baseEjectionTime: optional(od.baseEjectionTime, (v) => duration(v, `${p}.baseEjectionTime`)),
      maxEjectionTime: optional(od.maxEjectionTime, (v) => duration(v, `${p}.maxEjectionTime`)),
      maxEjectionPercent: optional(od.maxEjectionPercent, (v) => number(v, `${p}.maxEjectionPercent`, 0, 100)),
    });
  }
  if (o.retryBudget !== undefined) {
    const p = `${path}.retryBudget`;
    const rb = object(o.retryBudget, p);
    allowKeys(rb, p, ['budgetPercent', 'minRetryConcurrency']);
    listener.retryBudget = dropUndefined({
      budgetPercent: optional(rb.budgetPercent, (v) => number(v, `${p}.budgetPercent`, 0, 100)),
      minRetryConcurrency: optional(rb.minRetryConcurrency, (v) => integer(v, `${p}.minRetryConcurrency`, 0, 100_000)),
    });
  }
  if (o.mirrorLimits !== undefined) {
    const p = `${path}.mirrorLimits`;
    const ml = object(o.mirrorLimits, p);
    allowKeys(ml, p, ['maxInFlight', 'timeout', 'maxBufferedBytes']);
    listener.mirrorLimits = dropUndefined({
      maxInFlight: optional(ml.maxInFlight, (v) => integer(v, `${p}.maxInFlight`, 0, 100_000)),
      timeout: optional(ml.timeout, (v) => duration(v, `${p}.timeout`, 1)),
      maxBufferedBytes: optional(ml.maxBufferedBytes, (v) => integer(v, `${p}.maxBufferedBytes`, 0, 1 << 30)),
    });
  }
  return listener;
}

function readRule(raw: unknown, path: string, backends: Record<string, BackendConfig>): RouteRule {
  const o = object(raw, path);
  allowKeys(o, path, ['name', 'matches', 'backends', 'mirror', 'timeout', 'retries', 'sessionAffinity', 'faults']);
  const name = string(o.name, `${path}.name`);
  if (name.length === 0) throw new InvalidField(`${path}.name`, 'must not be empty');

  const refs = array(o.backends, `${path}.backends`).map((b, i) => {
    const p = `${path}.backends[${i}]`;
    const bo = object(b, p);
    allowKeys(bo, p, ['name', 'weight']);
    return { name: backendRef(bo.name, `${p}.name`, backends), weight: integer(bo.weight, `${p}.weight`, 0, LIMITS.maxWeight) };
  });
  if (refs.length === 0) throw new InvalidField(`${path}.backends`, 'must name at least one backend');
  if (refs.reduce((sum, b) => sum + b.weight, 0) === 0) throw new InvalidField(`${path}.backends`, 'total weight must be greater than 0');
  const seen = new Set<string>();
  refs.forEach((b, i) => {
    if (seen.has(b.name)) throw new InvalidField(`${path}.backends[${i}].name`, `backend ${JSON.stringify(b.name)} is listed twice`);
    seen.add(b.name);
  });

  const rule: RouteRule = { name, backends: refs };
  if (o.matches !== undefined) {
    rule.matches = array(o.matches, `${path}.matches`).map((m, i) => readMatch(m, `${path}.matches[${i}]`));
  }
  if (o.mirror !== undefined) {
    const p = `${path}.mirror`;
    const mo = object(o.mirror, p);
    allowKeys(mo, p, ['backend', 'percent']);
    rule.mirror = { backend: backendRef(mo.backend, `${p}.backend`, backends), percent: number(mo.percent, `${p}.percent`, 0, 100) };
  }
  if (o.timeout !== undefined) rule.timeout = duration(o.timeout, `${path}.timeout`);
  if (o.retries !== undefined) rule.retries = readRetries(o.retries, `${path}.retries`);
  if (o.sessionAffinity !== undefined) {
    const p = `${path}.sessionAffinity`;
    const so = object(o.sessionAffinity, p);
    allowKeys(so, p, ['cookieName', 'maxAge']);
    const cookieName = string(so.cookieName, `${p}.cookieName`);
    if (!TOKEN.test(cookieName)) throw new InvalidField(`${p}.cookieName`, 'must be a valid cookie name');
    rule.sessionAffinity = dropUndefined({ cookieName, maxAge: optional(so.maxAge, (v) => duration(v, `${p}.maxAge`, 1000)) });
  }
  if (o.faults !== undefined) {
    const p = `${path}.faults`;
    const fo = object(o.faults, p);
    allowKeys(fo, p, ['abort', 'delay']);
    const faults: FaultInjection = {};
    if (fo.abort !== undefined) {
      const ao = object(fo.abort, `${p}.abort`);
      allowKeys(ao, `${p}.abort`, ['percent', 'httpStatus']);
      faults.abort = {
        percent: number(ao.percent, `${p}.abort.percent`, 0, 100),
        httpStatus: integer(ao.httpStatus, `${p}.abort.httpStatus`, 200, 599),
      };
    }
    if (fo.delay !== undefined) {
      const delayRaw = object(fo.delay, `${p}.delay`);
      allowKeys(delayRaw, `${p}.delay`, ['percent', 'fixedDelay']);
      faults.delay = {
        percent: number(delayRaw.percent, `${p}.delay.percent`, 0, 100),
        fixedDelay: duration(delayRaw.fixedDelay, `${p}.delay.fixedDelay`),
      };
    }
    rule.faults = faults;
  }
  return rule;
}

function readRetries(raw: unknown, path: string): RetryPolicy {
  const o = object(raw, path);
  allowKeys(o, path, ['attempts', 'perTryTimeout', 'retryOn', 'backoff']);
  const policy: RetryPolicy = { attempts: integer(o.attempts, `${path}.attempts`, 0, LIMITS.maxRetryAttempts) };
  if (o.perTryTimeout !== undefined) policy.perTryTimeout = duration(o.perTryTimeout, `${path}.perTryTimeout`, 1);
  if (o.retryOn !== undefined) {
    policy.retryOn = array(o.retryOn, `${path}.retryOn`).map((c, i) => {
      const cond = string(c, `${path}.retryOn[${i}]`);
      if (!RETRY_CONDITIONS.includes(cond) && !STATUS_CODE.test(cond)) {
        throw new InvalidField(`${path}.retryOn[${i}]`, `must be one of ${RETRY_CONDITIONS.join(', ')} or a status code, got ${JSON.stringify(cond)}`);
      }
      return cond;
    });
  }
  if (o.backoff !== undefined) policy.backoff = duration(o.backoff, `${path}.backoff`);
  return policy;
}

function readMatch(raw: unknown, path: string): RouteMatch {
  const o = object(raw, path);
  allowKeys(o, path, ['path', 'method', 'headers', 'cookies', 'queryParams']);
  const match: RouteMatch = {};
  if (o.path !== undefined) {
    const p = `${path}.path`;
    const po = object(o.path, p);
    const sm = readStringMatch(po, p, ['exact', 'prefix', 'regex']) as PathMatch;
    if ('exact' in sm && !sm.exact.startsWith('/')) throw new InvalidField(`${p}.exact`, 'must start with "/"');
    if ('prefix' in sm && !sm.prefix.startsWith('/')) throw new InvalidField(`${p}.prefix`, 'must start with "/"');
    match.path = sm;
  }
  if (o.method !== undefined) {
    const method = string(o.method, `${path}.method`);
    if (!TOKEN.test(method) || method !== method.toUpperCase()) throw new InvalidField(`${path}.method`, 'must be an upper-case HTTP method');
    match.method = method;
  }
  for (const key of ['headers', 'cookies', 'queryParams'] as const) {
    if (o[key] === undefined) continue;
    match[key] = array(o[key], `${path}.${key}`).map((h, i) => {
      const p = `${path}.${key}[${i}]`;
      const ho = object(h, p);
      const name = string(ho.name, `${p}.name`);
      if (name.length === 0 || (key !== 'queryParams' && !TOKEN.test(name))) throw new InvalidField(`${p}.name`, 'must be a valid name');
      const { name: _name, ...rest } = ho;
      return { name, ...readStringMatch(rest, p, ['exact', 'prefix', 'suffix', 'regex', 'present']) };
    });
  }
  return match;
}

function readStringMatch(o: Json, path: string, kinds: readonly string[]): StringMatch {
  allowKeys(o, path, kinds);
  const present = kinds.filter((k) => o[k] !== undefined);
  if (present.length !== 1) throw new InvalidField(path, `must set exactly one of ${kinds.join(', ')}`);
  const kind = present[0] as string;
  const p = `${path}.${kind}`;
  if (kind === 'present') return { present: boolean(o.present, p) };
  const value = string(o[kind], p);
  if (kind === 'regex') {
    if (value.length > LIMITS.maxRegexLength) throw new InvalidField(p, `regular expression longer than ${LIMITS.maxRegexLength} characters`);
    try {
      compileAnchoredRegex(value);
    } catch (err) {
      throw new InvalidField(p, `invalid regular expression ${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }
  return { [kind]: value } as StringMatch;
}

function backendRef(raw: unknown, path: string, backends: Record<string, BackendConfig>): string {
  const name = string(raw, path);
  if (!Object.hasOwn(backends, name)) throw new InvalidField(path, `unknown backend ${JSON.stringify(name)}`);
  return name;
}

function object(raw: unknown, path: string): Json {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidField(path, `must be an object, got ${describe(raw)}`);
  return raw as Json;
}

function array(raw: unknown, path: string): unknown[] {
  if (!Array.isArray(raw)) throw new InvalidField(path, `must be an array, got ${describe(raw)}`);
  return raw;
}

function string(raw: unknown, path: string): string {
  if (typeof raw !== 'string') throw new InvalidField(path, `must be a string, got ${describe(raw)}`);
  return raw;
}

function boolean(raw: unknown, path: string): boolean {
  if (typeof raw !== 'boolean') throw new InvalidField(path, `must be a boolean, got ${describe(raw)}`);
  return raw;
}

function number(raw: unknown, path: string, min: number, max: number): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new InvalidField(path, `must be a number, got ${describe(raw)}`);
  if (raw < min || raw > max) throw new InvalidField(path, `must be between ${min} and ${max}, got ${raw}`);
  return raw;
}

function integer(raw: unknown, path: string, min: number, max: number): number {
  const n = number(raw, path, min, max);
  if (!Number.isInteger(n)) throw new InvalidField(path, `must be an integer, got ${n}`);
  return n;
}

/** Durations are bounded by what setTimeout can represent. */
function duration(raw: unknown, path: string, min = 0): DurationMs {
  return integer(raw, path, min, 2_147_483_647);
}

function optional<T>(raw: unknown, read: (raw: unknown) => T): T | undefined {
  return raw === undefined ? undefined : read(raw);
}

function allowKeys(o: Json, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new InvalidField(path === '(snapshot)' ? key : `${path}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
}

function dropUndefined<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}

function describe(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'an array';
  return typeof raw === 'string' ? `string ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}...` : raw)}` : typeof raw;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
