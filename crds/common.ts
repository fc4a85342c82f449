// Schema pieces shared by several kinds: names, durations, string matches, conditions,
// retries and header rewrites. Limits (maxLength, maxItems) are deliberately explicit:
// the API server estimates the worst-case cost of every CEL rule from them and refuses a
// CRD whose rules could run too long.

import { DURATION_PATTERN } from './duration.js';
import {
  type CelRule,
  celRegex,
  type Common,
  type Static,
  array,
  boolean,
  enumOf,
  integer,
  map,
  object,
  optional,
  string,
} from './schema/builder.js';

/** RFC 1035 label: Service names. */
export const DNS1035_LABEL_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
/** RFC 1123 subdomain: names of most other objects (Deployments, Secrets, ...). */
export const DNS1123_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** RFC 7230 token, used for HTTP header and cookie names. */
export const HTTP_TOKEN_PATTERN = '^[-!#$%&*+.^_`|~0-9A-Za-z]+$';

/** A Service name (DNS-1035 label). `maxLength` below 63 leaves room for suffixes we add. */
export function serviceName(opts: Common & { maxLength?: number } = {}) {
  return string({ ...opts, pattern: DNS1035_LABEL_PATTERN, minLength: 1, maxLength: opts.maxLength ?? 63 });
}

/** The name of a namespaced object such as a Deployment or Secret. */
export function objectName(opts: Common = {}) {
  return string({ ...opts, pattern: DNS1123_SUBDOMAIN_PATTERN, minLength: 1, maxLength: 253 });
}

/** A namespace name (DNS-1123 label). */
export function namespaceName(opts: Common = {}) {
  return string({ ...opts, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', minLength: 1, maxLength: 63 });
}

export function port(opts: Common = {}) {
  return integer({ ...opts, minimum: 1, maximum: 65535, format: 'int32' });
}

/** A percentage of requests or pods, 0 to 100. */
export function percent(opts: Common = {}) {
  return integer({ ...opts, minimum: 0, maximum: 100, format: 'int32' });
}

/**
 * A Go duration string. `min`/`max` become CEL rules with CEL's own duration(), which is
 * Go's time.ParseDuration; the pattern guard keeps a malformed value to one clear error.
 */
export function duration(opts: Common & { min?: string; max?: string } = {}) {
  const bounds: string[] = [];
  const words: string[] = [];
  if (opts.min !== undefined) {
    bounds.push(`duration(self) >= duration('${opts.min}')`);
    words.push(`at least ${opts.min}`);
  }
  if (opts.max !== undefined) {
    bounds.push(`duration(self) <= duration('${opts.max}')`);
    words.push(`at most ${opts.max}`);
  }
  const validations: CelRule[] = [...(opts.validations ?? [])];
  if (bounds.length > 0) {
    validations.unshift({
      rule: `!self.matches(${celRegex(DURATION_PATTERN)}) || (${bounds.join(' && ')})`,
      message: `must be ${words.join(' and ')}`,
      messageExpression: `'must be ${words.join(' and ')}, got ' + self`,
    });
  }
  return string({
    description: opts.description,
    validations,
    pattern: DURATION_PATTERN,
    maxLength: 32,
  });
}

/**
 * A regular expression in RE2 syntax. The API server compiles it: `matches` with an invalid
 * pattern is a CEL runtime error, which rejects the object with the compile error on this
 * field (`type(...) == bool` only forces the evaluation; it is true for any valid pattern).
 * Whether it also compiles as a JavaScript RegExp is for the operator to check.
 */
export function regex(opts: Common = {}) {
  return string({
    ...opts,
    minLength: 1,
    maxLength: 256,
    validations: [{ rule: "type(''.matches(self)) == bool", message: 'must be a valid RE2 regular expression' }],
  });
}

const stringMatchDescription =
  'Exactly one of: exact, prefix, suffix, regex (RE2, also valid as a JavaScript RegExp, matched against the whole value), or present (true: the value exists, false: it does not).';

const stringMatchProperties = {
  exact: optional(string({ description: 'The value equals this string.', maxLength: 256 })),
  prefix: optional(string({ description: 'The value starts with this string.', minLength: 1, maxLength: 256 })),
  suffix: optional(string({ description: 'The value ends with this string.', minLength: 1, maxLength: 256 })),
  regex: optional(regex({ description: 'The whole value matches this regular expression.' })),
  present: optional(boolean({ description: 'true: the value is present, whatever it is; false: it is absent.' })),
};
const exactlyOneStringMatch: CelRule = {
  rule: '[has(self.exact), has(self.prefix), has(self.suffix), has(self.regex), has(self.present)].exists_one(x, x)',
  message: 'set exactly one of exact, prefix, suffix, regex or present',
};

/** How one string value (a header, cookie or query parameter) is matched. */
export const stringMatch = object(stringMatchProperties, { description: stringMatchDescription, validations: [exactlyOneStringMatch] });

/** A string match with the name of what it matches (Gateway API style lists). */
export function namedStringMatch(what: string, namePattern: string | undefined) {
  return object(
    {
      name: string({ description: `Name of the ${what}.`, minLength: 1, maxLength: 256, ...(namePattern === undefined ? {} : { pattern: namePattern }) }),
      ...stringMatchProperties,
    },
    { description: `${what} condition. ${stringMatchDescription}`, validations: [exactlyOneStringMatch] },
  );
}
export type StringMatch = Static<typeof stringMatch>;

/** How a request path is matched. */
export const pathMatch = object(
  {
    exact: optional(string({ description: 'The path equals this string.', minLength: 1, maxLength: 1024 })),
    prefix: optional(
      string({ description: 'The path starts with this string (segment-wise, as in Gateway API PathPrefix).', minLength: 1, maxLength: 1024 }),
    ),
    regex: optional(regex({ description: 'The whole path matches this regular expression.' })),
  },
  {
    description: 'Exactly one of: exact, prefix, regex.',
    validations: [
      { rule: '[has(self.exact), has(self.prefix), has(self.regex)].exists_one(x, x)', message: 'set exactly one of exact, prefix or regex' },
      { rule: "!has(self.exact) || self.exact.startsWith('/')", message: 'must start with /', fieldPath: '.exact' },
      { rule: "!has(self.prefix) || self.prefix.startsWith('/')", message: 'must start with /', fieldPath: '.prefix' },
    ],
  },
);
export type PathMatch = Static<typeof pathMatch>;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Keys of a map must be HTTP header (or cookie) names. */
export function tokenKeysRule(what: string): CelRule {
  return {
    rule: `self.all(k, k.matches(${celRegex(HTTP_TOKEN_PATTERN)}))`,
    message: `${what} names must be HTTP tokens`,
  };
}

/** Status condition, compatible with metav1.Condition and kstatus. */
export const condition = object({
  type: string({
    description: 'Type of condition in CamelCase, e.g. Ready.',
    maxLength: 316,
    pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
  }),
  status: enumOf(['True', 'False', 'Unknown'] as const, { description: 'True, False or Unknown.' }),
  observedGeneration: optional(
    integer({ description: 'The .metadata.generation the condition was computed from.', minimum: 0, format: 'int64' }),
  ),
  lastTransitionTime: string({ description: 'When the status last changed.', format: 'date-time', maxLength: 64 }),
  reason: string({
    description: 'Machine-readable reason in CamelCase.',
    minLength: 1,
    maxLength: 1024,
    pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
  }),
  message: string({ description: 'Human-readable details.', maxLength: 32768 }),
});
export type Condition = Static<typeof condition>;
export type ConditionStatus = Condition['status'];

export function conditions(description: string) {
  return array(condition, { description, maxItems: 16, listType: 'map', listMapKeys: ['type'] });
}

/** Retry policy shared by Canary.spec.service and MeshRoute rules. */
export const RETRY_ON_TOKENS = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'timeout', 'retriable-4xx', 'refused-stream'] as const;
const retryOnToken = `(${RETRY_ON_TOKENS.join('|')}|[1-5][0-9][0-9])`;
export const retries = object(
  {
    // 5: the proxy's limit (proxy/snapshot.ts LIMITS.maxRetryAttempts); more only multiplies load.
    attempts: integer({ description: 'Retries after the first try (0 disables retries).', minimum: 0, maximum: 5, format: 'int32' }),
    perTryTimeout: optional(duration({ description: 'Timeout of each try, e.g. 2s.', min: '1ms' })),
    retryOn: optional(
      string({
        description: `Comma-separated conditions that trigger a retry: ${RETRY_ON_TOKENS.join(', ')} or an HTTP status code (Envoy's vocabulary; timeout: the try exceeded perTryTimeout). Default: connect-failure,reset,timeout,503.`,
        maxLength: 256,
        pattern: `^${retryOnToken}(,${retryOnToken})*$`,
      }),
    ),
  },
  { description: 'Retry policy for requests that fail.' },
);
export type Retries = Static<typeof retries>;

function headerValues(description: string) {
  return map(string({ maxLength: 4096 }), { description, maxProperties: 32, validations: [tokenKeysRule('header')] });
}
function headerOperations(which: string) {
  return object(
    {
      set: optional(headerValues('Headers to set, replacing existing values.')),
      add: optional(headerValues('Headers to append to existing values.')),
      remove: optional(
        array(string({ maxLength: 256, pattern: HTTP_TOKEN_PATTERN }), { description: 'Headers to remove.', maxItems: 32, listType: 'set' }),
      ),
    },
    { description: `Rewrites of ${which} headers.` },
  );
}
export const headers = object(
  {
    request: optional(headerOperations('request')),
    response: optional(headerOperations('response')),
  },
  { description: 'Header rewrites on requests (before forwarding) and responses (before returning them).' },
);
export type HeaderRewrites = Static<typeof headers>;

/** Label keys and values as the API server validates them on real objects. */
export function labelMap(description: string) {
  return map(string({ maxLength: 63 }), {
    description,
    maxProperties: 32,
    validations: [
      {
        rule: 'self.all(k, !format.qualifiedName().validate(k).hasValue())',
        message: 'label keys must be qualified names (prefix/name)',
      },
      {
        rule: 'self.all(k, !format.labelValue().validate(self[k]).hasValue())',
        message: 'label values must be at most 63 alphanumerics, -, _ or ., starting and ending alphanumeric',
      },
    ],
  });
}

export function annotationMap(description: string) {
  return map(string({ maxLength: 8192 }), {
    description,
    maxProperties: 32,
    validations: [
      {
        rule: 'self.all(k, !format.qualifiedName().validate(k).hasValue())',
        message: 'annotation keys must be qualified names (prefix/name)',
      },
    ],
  });
}

/** Reference to a Secret in the object's own namespace. */
export function secretRef(description: string) {
  return object({ name: objectName({ description: 'Name of the Secret.' }) }, { description });
}
export type SecretReference = Static<ReturnType<typeof secretRef>>;

/** Reference to an object of a known kind, optionally in another namespace. */
export function crossNamespaceRef(what: string) {
  return object(
    {
      name: objectName({ description: `Name of the ${what}.` }),
      namespace: optional(namespaceName({ description: `Namespace of the ${what}; defaults to the referring object's namespace.` })),
    },
    { description: `Reference to a ${what}.` },
  );
}

/** An http(s) URL. */
export function httpUrl(opts: Common = {}) {
  return string({
    ...opts,
    maxLength: 2048,
    validations: [
      {
        rule: "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",
        message: 'must be an absolute http or https URL',
      },
    ],
  });
}
