// Pod settings of the waypoints as the operator's flags carry them (the chart renders them from
// its `waypoint:` values): resources, node selector and tolerations as JSON, pull secrets as
// names. Each parser checks the shape Kubernetes would and says which field is wrong, so that
// a mistake stops the operator at start instead of failing every waypoint apply later. Pure.

export interface WaypointResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface WaypointToleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export class WaypointSettingError extends Error {}

// Kubernetes' own quantity syntax (resource.Quantity): a number with an optional suffix.
const QUANTITY = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;
const RESOURCE_NAME = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const OBJECT_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function fail(field: string, message: string): never {
  throw new WaypointSettingError(`${field}: ${message}`);
}

function json(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return fail(field, `not JSON (${(err as Error).message})`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(`${field}.${key}`, `unknown field (expected ${allowed.join(', ')})`);
  }
}

function quantities(value: unknown, field: string): Record<string, string> {
  if (!isObject(value)) return fail(field, 'must be an object of resource name to quantity, e.g. {"cpu":"100m","memory":"64Mi"}');
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(value)) {
    if (!RESOURCE_NAME.test(name)) fail(`${field}.${name}`, 'is not a resource name');
    const quantity = typeof raw === 'number' ? String(raw) : raw;
    if (typeof quantity !== 'string' || !QUANTITY.test(quantity)) fail(`${field}.${name}`, `${JSON.stringify(raw)} is not a quantity (e.g. 100m, 0.5, 64Mi, 1G)`);
    out[name] = quantity;
  }
  return out;
}

/** `{"requests":{...},"limits":{...}}`. */
export function parseWaypointResources(text: string, field = '--waypoint-resources'): WaypointResources {
  const value = json(text, field);
  if (!isObject(value)) return fail(field, 'must be an object with requests and/or limits');
  onlyKeys(value, ['requests', 'limits'], field);
  return {
    ...(value.requests === undefined ? {} : { requests: quantities(value.requests, `${field}.requests`) }),
    ...(value.limits === undefined ? {} : { limits: quantities(value.limits, `${field}.limits`) }),
  };
}

/** `{"label":"value",...}`. */
export function parseNodeSelector(text: string, field = '--waypoint-node-selector'): Record<string, string> {
  const value = json(text, field);
  if (!isObject(value)) return fail(field, 'must be an object of node label to value, e.g. {"kubernetes.io/os":"linux"}');
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!LABEL_KEY.test(key)) fail(`${field}.${key}`, 'is not a label key');
    if (typeof raw !== 'string' || !LABEL_VALUE.test(raw)) fail(`${field}.${key}`, `${JSON.stringify(raw)} is not a label value`);
    out[key] = raw;
  }
  return out;
}

/** `[{"key":"dedicated","operator":"Equal","value":"mesh","effect":"NoSchedule"}, ...]`. */
export function parseTolerations(text: string, field = '--waypoint-tolerations'): WaypointToleration[] {
  const value = json(text, field);
  if (!Array.isArray(value)) return fail(field, 'must be a list of tolerations');
  return value.map((raw, index): WaypointToleration => {
    const at = `${field}[${index}]`;
    if (!isObject(raw)) return fail(at, 'must be an object');
    onlyKeys(raw, ['key', 'operator', 'value', 'effect', 'tolerationSeconds'], at);
    const { key, operator, value: tolerated, effect, tolerationSeconds } = raw;
    if (key !== undefined && (typeof key !== 'string' || (key !== '' && !LABEL_KEY.test(key)))) fail(`${at}.key`, `${JSON.stringify(key)} is not a taint key`);
    if (operator !== undefined && operator !== 'Exists' && operator !== 'Equal') fail(`${at}.operator`, `must be Exists or Equal, got ${JSON.stringify(operator)}`);
    if (tolerated !== undefined && typeof tolerated !== 'string') fail(`${at}.value`, 'must be a string');
    if (operator === 'Exists' && tolerated) fail(`${at}.value`, 'must be empty with operator Exists');
    if ((key === undefined || key === '') && operator !== 'Exists') fail(`${at}.operator`, 'must be Exists when the key is empty (tolerate every taint)');
    if (effect !== undefined && effect !== '' && effect !== 'NoSchedule' && effect !== 'PreferNoSchedule' && effect !== 'NoExecute') {
      fail(`${at}.effect`, `must be NoSchedule, PreferNoSchedule or NoExecute, got ${JSON.stringify(effect)}`);
    }
    if (tolerationSeconds !== undefined) {
      if (typeof tolerationSeconds !== 'number' || !Number.isInteger(tolerationSeconds)) fail(`${at}.tolerationSeconds`, 'must be a whole number');
      if (effect !== 'NoExecute') fail(`${at}.tolerationSeconds`, 'applies only with effect NoExecute');
    }
    return {
      ...(typeof key === 'string' && key !== '' ? { key } : {}),
      ...(operator === undefined ? {} : { operator: operator as NonNullable<WaypointToleration['operator']> }),
      ...(typeof tolerated === 'string' && tolerated !== '' ? { value: tolerated } : {}),
      ...(effect === undefined || effect === '' ? {} : { effect: effect as NonNullable<WaypointToleration['effect']> }),
      ...(typeof tolerationSeconds === 'number' ? { tolerationSeconds } : {}),
    };
  });
}

/** Names of Secrets, each a valid object name. */
export function checkPullSecretNames(names: readonly string[], field = '--waypoint-image-pull-secrets'): string[] {
  for (const name of names) if (!OBJECT_NAME.test(name)) fail(field, `${JSON.stringify(name)} is not a Secret name`);
  return [...names];
}
