// The MeshRoute kind: how the waypoint proxies route the traffic of one apex Service.
// The canary controller writes one per Canary; people may write their own. Naming follows
// Gateway API's HTTPRoute where the concepts coincide (rules, matches, path, method,
// queryParams, weight); string matches use the same exact/prefix/suffix/regex/present
// shape as the Canary so that translating one into the other is field by field.

import {
  conditions,
  duration,
  HTTP_METHODS,
  HTTP_TOKEN_PATTERN,
  namedStringMatch,
  pathMatch,
  port,
  retries,
  serviceName,
} from './common.js';
import { kindMeta, type Resource } from './group.js';
import { type Static, array, enumOf, integer, number, object, optional, string, withDefault } from './schema/builder.js';

export const MESH_ROUTE = kindMeta({
  kind: 'MeshRoute',
  listKind: 'MeshRouteList',
  plural: 'meshroutes',
  singular: 'meshroute',
  shortNames: ['mr'],
});

/** Condition types: Accepted (spec is usable) and Programmed (all proxies applied it). */
export const MESH_ROUTE_CONDITION_TYPES = ['Accepted', 'Programmed'] as const;
export type MeshRouteConditionType = (typeof MESH_ROUTE_CONDITION_TYPES)[number];

/** Highest backend weight, as in Gateway API. */
export const MAX_BACKEND_WEIGHT = 100_000;

const fractionPercent = (description: string) => number({ description, minimum: 0, maximum: 100 });

const match = object(
  {
    path: optional(pathMatch),
    method: optional(enumOf(HTTP_METHODS, { description: 'Request method.' })),
    headers: optional(
      array(namedStringMatch('header', HTTP_TOKEN_PATTERN), {
        description: 'Header conditions (names are case-insensitive); all must match.',
        maxItems: 16,
        listType: 'map',
        listMapKeys: ['name'],
      }),
    ),
    cookies: optional(
      array(namedStringMatch('cookie', HTTP_TOKEN_PATTERN), {
        description: 'Cookie conditions; all must match.',
        maxItems: 16,
        listType: 'map',
        listMapKeys: ['name'],
      }),
    ),
    queryParams: optional(
      array(namedStringMatch('query parameter', undefined), {
        description: 'Query parameter conditions; all must match.',
        maxItems: 16,
        listType: 'map',
        listMapKeys: ['name'],
      }),
    ),
  },
  { description: 'A request condition: every field set must match. An empty match matches every request.' },
);

const backend = object(
  {
    service: serviceName({ description: 'Service whose endpoints receive the traffic (the proxy balances over them itself).' }),
    port: port({ description: 'Port of that Service.' }),
    weight: withDefault(
      integer({ description: 'Relative share of the rule\'s requests, 0 to 100000.', minimum: 0, maximum: MAX_BACKEND_WEIGHT, format: 'int32' }),
      1,
    ),
  },
  { description: 'A destination of the rule\'s traffic.' },
);

const faults = object(
  {
    abort: optional(
      object(
        {
          percent: fractionPercent('Percentage of requests answered with httpStatus instead of being forwarded.'),
          httpStatus: integer({ description: 'Status code of the aborted requests.', minimum: 200, maximum: 599, format: 'int32' }),
        },
        { description: 'Answer requests with an error without forwarding them.' },
      ),
    ),
    delay: optional(
      object(
        {
          percent: fractionPercent('Percentage of requests delayed.'),
          fixedDelay: duration({ description: 'How long those requests are held before being forwarded.', min: '1ms', max: '1h' }),
        },
        { description: 'Hold requests before forwarding them.' },
      ),
    ),
  },
  {
    description: 'Fault injection, to test how clients cope.',
    validations: [{ rule: 'has(self.abort) || has(self.delay)', message: 'set abort, delay or both' }],
  },
);

const rule = object(
  {
    name: string({
      description: 'Name of the rule, unique in the route; proxies report counters per rule.',
      minLength: 1,
      maxLength: 63,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    }),
    matches: optional(
      array(match, { description: 'The rule applies to a request matching any entry; no entries: every request.', maxItems: 8 }),
    ),
    backends: optional(
      array(backend, {
        description: 'Where matching requests go, split by weight.',
        maxItems: 8,
        listType: 'map',
        listMapKeys: ['service', 'port'],
      }),
    ),
    mirror: optional(
      object(
        {
          service: serviceName({ description: 'Service that receives copies of requests.' }),
          port: port({ description: 'Port of that Service.' }),
          percent: withDefault(fractionPercent('Percentage of requests copied.'), 100),
        },
        { description: 'Copies requests to another Service and discards its responses.' },
      ),
    ),
    timeout: optional(duration({ description: 'Timeout of a request, retries included.', min: '1ms' })),
    retries: optional(retries),
    sessionAffinity: optional(
      object(
        {
          cookieName: string({
            description: 'Cookie recording the backend a client reached, so that it keeps reaching it.',
            minLength: 1,
            maxLength: 64,
            pattern: HTTP_TOKEN_PATTERN,
          }),
          maxAge: withDefault(integer({ description: 'Lifetime of the cookie in seconds.', minimum: 1, format: 'int32' }), 86400),
        },
        { description: 'Sticky sessions across the weighted backends.' },
      ),
    ),
    faults: optional(faults),
  },
  {
    description: 'A routing rule. The first rule (in order) whose matches accept a request handles it.',
    validations: [
      {
        rule: '(has(self.faults) && has(self.faults.abort) && self.faults.abort.percent == 100.0) || (has(self.backends) && self.backends.exists(b, b.weight > 0))',
        message: 'needs a backend with weight > 0 (only a rule aborting 100% of requests may have none)',
        fieldPath: '.backends',
        reason: 'FieldValueRequired',
      },
    ],
  },
);

export const meshRouteSpec = object({
  service: serviceName({ description: 'The apex Service this route takes over: its traffic goes through the waypoint proxies.' }),
  port: port({ description: 'Port of the apex Service this route applies to.' }),
  rules: array(rule, {
    description: 'Rules, tried in order.',
    minItems: 1,
    maxItems: 16,
    listType: 'map',
    listMapKeys: ['name'],
  }),
});

export const meshRouteStatus = object({
  observedGeneration: optional(integer({ description: 'The .metadata.generation this status describes.', minimum: 0, format: 'int64' })),
  conditions: optional(conditions('Accepted (the spec is usable) and Programmed (every proxy applied it and the Service goes through the waypoint; reason TakeoverPending while the waypoint cannot serve the route yet).')),
  listenerPort: optional(port({ description: 'Port of the waypoint listener that serves this route.' })),
  proxies: optional(
    object(
      {
        desired: integer({ description: 'Waypoint proxies that should serve this route.', minimum: 0, format: 'int32' }),
        connected: optional(
          integer({
            description: "Proxies of the namespace connected to the operator's config server. 0 while desired is not: none runs (image pull failure, crash loop) or none reaches the operator.",
            minimum: 0,
            format: 'int32',
          }),
        ),
        applied: integer({ description: 'Of those, how many acknowledged the current version.', minimum: 0, format: 'int32' }),
        version: string({ description: 'Config version that carries the current spec.', maxLength: 128 }),
      },
      { description: 'Whether the data plane has caught up with the spec.' },
    ),
  ),
});

export type MeshRouteSpec = Static<typeof meshRouteSpec>;
export type MeshRouteStatus = Static<typeof meshRouteStatus>;
export type MeshRouteRule = MeshRouteSpec['rules'][number];
export type MeshRouteMatch = NonNullable<MeshRouteRule['matches']>[number];
export type MeshRouteBackend = NonNullable<MeshRouteRule['backends']>[number];
export type MeshRouteMirror = NonNullable<MeshRouteRule['mirror']>;
export type MeshRouteFaults = NonNullable<MeshRouteRule['faults']>;
export type NamedStringMatch = NonNullable<MeshRouteMatch['headers']>[number];
export type MeshRoute = Resource<'MeshRoute', MeshRouteSpec, MeshRouteStatus>;
