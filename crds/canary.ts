// The Canary kind: one per Deployment rolled out progressively. Field names follow
// Flagger's flagger.app/v1beta1 Canary, so that a Flagger user moves over by changing the
// apiVersion; additions (judge, windows, manual actions) are ours.

import {
  annotationMap,
  conditions,
  crossNamespaceRef,
  DNS1035_LABEL_PATTERN,
  duration,
  headers,
  HTTP_METHODS,
  httpUrl,
  labelMap,
  objectName,
  pathMatch,
  percent,
  port,
  retries,
  serviceName,
  stringMatch,
  tokenKeysRule,
} from './common.js';
import { kindMeta, type Resource } from './group.js';
import { BUILTIN_METRICS } from './metric-template.js';
import {
  type Static,
  array,
  celRegex,
  boolean,
  describe,
  enumOf,
  integer,
  intOrString,
  map,
  number,
  object,
  optional,
  string,
  withDefault,
} from './schema/builder.js';

export const CANARY = kindMeta({
  kind: 'Canary',
  listKind: 'CanaryList',
  plural: 'canaries',
  singular: 'canary',
  shortNames: ['cnry'],
});

/**
 * The apex Service is named after service.name or the target; we add "-primary" and
 * "-canary" to it, and a Service name is a DNS-1035 label of at most 63 characters.
 */
export const APEX_NAME_MAX_LENGTH = 63 - '-primary'.length;

export const CANARY_PHASES = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;
export type CanaryPhase = (typeof CANARY_PHASES)[number];

/** Condition types the operator maintains: kstatus' three plus Flagger's Promoted. */
export const CANARY_CONDITION_TYPES = ['Ready', 'Stalled', 'Reconciling', 'Promoted'] as const;
export type CanaryConditionType = (typeof CANARY_CONDITION_TYPES)[number];

export const WEBHOOK_TYPES = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
  'event',
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export const ALERT_SEVERITIES = ['info', 'warn', 'error'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const JUDGE_MODES = ['threshold', 'compare'] as const;
export type JudgeMode = (typeof JUDGE_MODES)[number];

/** Actions requested through the sluice.dev/action annotation (see ./action.ts). */
export const MANUAL_ACTIONS = ['promote', 'abort', 'retry', 'pause', 'resume'] as const;
export type ManualActionName = (typeof MANUAL_ACTIONS)[number];

export const MANUAL_ACTION_STATES = ['Pending', 'Applied', 'Rejected'] as const;
export type ManualActionState = (typeof MANUAL_ACTION_STATES)[number];

export const ANALYSIS_VERDICTS = ['Passed', 'Failed', 'Inconclusive'] as const;
export type AnalysisVerdict = (typeof ANALYSIS_VERDICTS)[number];

/** Cron macros understood by the `cron` package the operator evaluates windows with. */
export const CRON_MACROS = ['@yearly', '@monthly', '@weekly', '@daily', '@hourly', '@weekdays', '@weekends'] as const;
const cronField = '([*]|[0-9]+|[A-Za-z]{3})(-([0-9]+|[A-Za-z]{3}))?(/[0-9]+)?';
/** 5 fields (minute first) or 6 (second first), or a macro. Value ranges: operator. */
export const CRON_PATTERN = `^(@(${CRON_MACROS.map((m) => m.slice(1)).join('|')})|${cronField}(,${cronField})*( +${cronField}(,${cronField})*){4,5})$`;

const targetRef = object(
  {
    apiVersion: withDefault(enumOf(['apps/v1'] as const, { description: 'API version of the target.' }), 'apps/v1'),
    kind: enumOf(['Deployment'] as const, { description: 'Kind of the target.' }),
    name: objectName({ description: 'Name of the Deployment rolled out progressively.' }),
  },
  { description: 'The Deployment this Canary rolls out. Sluice scales it to zero and runs <name>-primary instead between rollouts.' },
);

const autoscalerRef = object(
  {
    apiVersion: withDefault(enumOf(['autoscaling/v2'] as const, { description: 'API version of the autoscaler.' }), 'autoscaling/v2'),
    kind: enumOf(['HorizontalPodAutoscaler'] as const, { description: 'Kind of the autoscaler.' }),
    name: objectName({ description: 'Name of the HorizontalPodAutoscaler that scales the target.' }),
    primaryScalerReplicas: optional(
      object(
        {
          minReplicas: optional(integer({ description: 'minReplicas of the primary autoscaler.', minimum: 1, format: 'int32' })),
          maxReplicas: optional(integer({ description: 'maxReplicas of the primary autoscaler.', minimum: 1, format: 'int32' })),
        },
        {
          description: 'Overrides the replica bounds of the cloned primary autoscaler.',
          validations: [
            {
              rule: '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas',
              message: 'minReplicas must not exceed maxReplicas',
              fieldPath: '.minReplicas',
            },
          ],
        },
      ),
    ),
  },
  { description: 'Autoscaler of the target; Sluice clones it for <name>-primary.' },
);

function serviceMetadata(which: string) {
  return object(
    {
      labels: optional(labelMap(`Labels added to the ${which} Service.`)),
      annotations: optional(annotationMap(`Annotations added to the ${which} Service.`)),
    },
    { description: `Metadata for the ${which} Service.` },
  );
}

const IANA_SVC_NAME = '^[a-z0-9]([a-z0-9]|-[a-z0-9])*$';

const service = object(
  {
    name: optional(
      serviceName({
        description: `Name of the apex Service clients call; defaults to the target's name. Sluice also creates <name>-primary and <name>-canary.`,
        maxLength: APEX_NAME_MAX_LENGTH,
      }),
    ),
    port: port({ description: 'Port the apex Service exposes.' }),
    targetPort: optional(
      intOrString({
        description: 'Container port (number or name) traffic goes to; defaults to port.',
        validations: [
          {
            rule: `type(self) == int ? (self >= 1 && self <= 65535) : (self.size() <= 15 && self.matches(${celRegex(IANA_SVC_NAME)}) && self.matches('[a-z]'))`,
            message: 'must be a port number (1-65535) or an IANA service name (at most 15 lowercase letters, digits and -)',
          },
        ],
      }),
    ),
    portName: optional(
      string({
        description: 'Name of the Service port. Default: http.',
        maxLength: 15,
        pattern: IANA_SVC_NAME,
      }),
    ),
    appProtocol: optional(
      string({
        description: 'appProtocol of the Service port, e.g. http or kubernetes.io/h2c.',
        maxLength: 63,
        pattern: '^([a-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
      }),
    ),
    timeout: optional(duration({ description: 'Per-request timeout through the mesh, e.g. 15s.', min: '1ms' })),
    retries: optional(retries),
    headers: optional(headers),
    apex: optional(serviceMetadata('apex')),
    primary: optional(serviceMetadata('primary')),
    canary: optional(serviceMetadata('canary')),
  },
  { description: 'The Services Sluice creates for the target and how the mesh treats their traffic.' },
);

const stringMatchMap = (what: string) =>
  map(stringMatch, {
    description: `${what} to match, by name. All must match.`,
    minProperties: 1,
    maxProperties: 8,
    validations: [tokenKeysRule(what)],
  });

const match = object(
  {
    headers: optional(stringMatchMap('Headers')),
    cookies: optional(stringMatchMap('Cookies')),
    queryParams: optional(
      map(stringMatch, { description: 'Query parameters to match, by name. All must match.', minProperties: 1, maxProperties: 8 }),
    ),
    uri: optional(describe(pathMatch, 'Request path to match (Flagger calls it uri).')),
    method: optional(
      object(
        { exact: enumOf(HTTP_METHODS, { description: 'HTTP method.' }) },
        { description: 'Request method to match.' },
      ),
    ),
  },
  {
    description: 'A request condition; every field set must match. A request matching any entry goes to the canary.',
    validations: [
      {
        rule: 'has(self.headers) || has(self.cookies) || has(self.queryParams) || has(self.uri) || has(self.method)',
        message: 'set at least one of headers, cookies, queryParams, uri or method',
      },
    ],
  },
);

const sessionAffinity = object(
  {
    cookieName: string({
      description: 'Cookie that pins a user who reached the canary to it.',
      minLength: 1,
      maxLength: 64,
      pattern: '^[-!#$%&*+.^_`|~0-9A-Za-z]+$',
    }),
    primaryCookieName: optional(
      string({
        description: 'Cookie that pins a user who reached the primary to it; must differ from cookieName.',
        minLength: 1,
        maxLength: 64,
        pattern: '^[-!#$%&*+.^_`|~0-9A-Za-z]+$',
      }),
    ),
    maxAge: withDefault(integer({ description: 'Lifetime of the cookies in seconds.', minimum: 1, format: 'int32' }), 86400),
  },
  {
    description: 'Keeps users on the version they first reached while the weight grows.',
    validations: [
      {
        rule: '!has(self.primaryCookieName) || self.primaryCookieName != self.cookieName',
        message: 'primaryCookieName must differ from cookieName',
        fieldPath: '.primaryCookieName',
      },
    ],
  },
);

const thresholdRange = object(
  {
    min: optional(number({ description: 'Lowest acceptable value.' })),
    max: optional(number({ description: 'Highest acceptable value.' })),
  },
  {
    description: 'Range of acceptable values; at least one bound.',
    validations: [
      { rule: 'has(self.min) || has(self.max)', message: 'set min, max or both' },
      { rule: '!has(self.min) || !has(self.max) || self.min <= self.max', message: 'min must not exceed max', fieldPath: '.min' },
    ],
  },
);

const metric = object(
  {
    name: string({
      description: `Name of the check. Without templateRef it must be a builtin metric: ${BUILTIN_METRICS.join(', ')}.`,
      minLength: 1,
      maxLength: 128,
    }),
    templateRef: optional(crossNamespaceRef('MetricTemplate')),
    thresholdRange: optional(thresholdRange),
    interval: optional(duration({ description: 'Window the query aggregates over; defaults to analysis.interval.', min: '1s' })),
    templateVariables: optional(
      map(string({ maxLength: 1024 }), {
        description: 'Values for {{ variables.NAME }} in the template query.',
        maxProperties: 16,
        validations: [
          { rule: `self.all(k, k.matches(${celRegex('^[A-Za-z_][A-Za-z0-9_]*$')}))`, message: 'variable names must be identifiers ([A-Za-z_][A-Za-z0-9_]*)' },
        ],
      }),
    ),
  },
  {
    description: 'A metric check run at every analysis interval.',
    validations: [
      {
        rule: `has(self.templateRef) || self.name in [${BUILTIN_METRICS.map((m) => `'${m}'`).join(', ')}]`,
        message: `needs a templateRef, or must be a builtin metric (${BUILTIN_METRICS.join(', ')})`,
        messageExpression: `'metric ' + self.name + ' needs a templateRef, or must be a builtin metric (${BUILTIN_METRICS.join(', ')})'`,
        fieldPath: '.templateRef',
        reason: 'FieldValueRequired',
      },
    ],
  },
);

const webhook = object(
  {
    name: string({ description: 'Name of the webhook, unique in the list.', minLength: 1, maxLength: 128 }),
    type: withDefault(enumOf(WEBHOOK_TYPES, { description: 'When the webhook runs (Flagger semantics).' }), 'rollout'),
    url: httpUrl({ description: 'URL that receives the Flagger-compatible JSON payload by POST.' }),
    timeout: optional(duration({ description: 'Timeout of one call. Default: 60s.', min: '1s', max: '1h' })),
    retries: optional(integer({ description: 'Retries after a failed call.', minimum: 0, maximum: 10, format: 'int32' })),
    metadata: optional(
      map(string({ maxLength: 4096 }), { description: 'Sent to the webhook as payload metadata.', maxProperties: 32 }),
    ),
    muteAlert: optional(boolean({ description: 'Do not alert when this webhook fails.' })),
  },
  { description: 'A webhook called during the rollout: a gate (confirm-*), a check (rollout, pre-/post-rollout) or a notification.' },
);

const alert = object(
  {
    name: string({ description: 'Name of the alert, unique in the list.', minLength: 1, maxLength: 128 }),
    severity: withDefault(enumOf(ALERT_SEVERITIES, { description: 'Lowest severity of events sent.' }), 'info'),
    providerRef: crossNamespaceRef('AlertProvider'),
  },
  { description: 'Sends rollout events to an AlertProvider.' },
);

const judge = object(
  {
    mode: withDefault(
      enumOf(JUDGE_MODES, {
        description: 'threshold: each metric against its thresholdRange (Flagger). compare: canary against primary, with a sequential test on live proxy counters.',
      }),
      'threshold',
    ),
    minRequests: withDefault(
      integer({ description: 'Requests the canary must serve in an interval before a verdict; fewer gives Inconclusive.', minimum: 0, format: 'int32' }),
      50,
    ),
    confidence: withDefault(
      number({ description: 'Confidence the compare judge needs to fail a canary, early or at the end of a step (0.5 to 0.9999); a healthy canary is failed with probability at most 1 - confidence.', minimum: 0.5, maximum: 0.9999 }),
      0.95,
    ),
    maxRelativeDegradation: withDefault(
      number({ description: 'How much worse than the primary the canary may be, as a fraction (0.1: 10% worse).', minimum: 0, maximum: 10 }),
      0.1,
    ),
  },
  { description: 'How analysis results become verdicts.' },
);

const window = object(
  {
    schedule: string({
      description: 'Cron schedule (5 fields, or 6 with seconds first) or a macro (@daily, @weekdays, ...) at which the window opens.',
      minLength: 1,
      maxLength: 128,
      validations: [
        {
          rule: `self.matches(${celRegex(CRON_PATTERN)})`,
          message: `must be a cron schedule with 5 or 6 fields or one of ${CRON_MACROS.join(' ')}`,
          messageExpression: `'must be a cron schedule with 5 or 6 fields or one of ${CRON_MACROS.join(' ')}, got ' + self`,
        },
      ],
    }),
    duration: duration({ description: 'How long the window stays open after each tick.', min: '1m', max: '168h' }),
    timeZone: withDefault(
      string({
        description: 'IANA time zone of the schedule, e.g. Europe/Berlin.',
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$',
      }),
      'UTC',
    ),
  },
  { description: 'A deployment window: rollouts advance only while one is open.' },
);

const weight = (description: string) => integer({ description, minimum: 1, maximum: 100, format: 'int32' });

const analysis = object(
  {
    interval: withDefault(duration({ description: 'Time between analysis steps.', min: '5s' }), '1m'),
    threshold: withDefault(
      integer({ description: 'Failed checks tolerated before rolling back.', minimum: 1, format: 'int32' }),
      5,
    ),
    maxWeight: optional(weight('Highest canary weight (percent) before promotion, with stepWeight. Default: 100.')),
    stepWeight: optional(weight('Canary weight increase per step (percent).')),
    stepWeights: optional(
      array(weight('A canary weight (percent).'), {
        description: 'Canary weights of the steps, strictly increasing.',
        minItems: 1,
        maxItems: 20,
        validations: [{ rule: 'self.all(i, w, i == 0 || self[i - 1] < w)', message: 'must be strictly increasing' }],
      }),
    ),
    stepWeightPromotion: optional(weight('Weight increase per step while promoting; default: all at once.')),
    iterations: optional(
      integer({ description: 'Number of analysis steps for A/B testing (with match) or blue/green.', minimum: 1, maximum: 1000, format: 'int32' }),
    ),
    match: optional(
      array(match, { description: 'A/B testing: requests matching any entry go to the canary.', minItems: 1, maxItems: 8 }),
    ),
    mirror: optional(boolean({ description: 'Blue/green: mirror traffic to the canary (responses discarded) during the analysis.' })),
    mirrorWeight: optional(percent({ description: 'Percentage of requests mirrored; default 100.' })),
    sessionAffinity: optional(sessionAffinity),
    primaryReadyThreshold: optional(percent({ description: 'Percentage of primary pods that must be ready. Default: 100.' })),
    canaryReadyThreshold: optional(percent({ description: 'Percentage of canary pods that must be ready. Default: 100.' })),
    metrics: optional(array(metric, { description: 'Metric checks.', maxItems: 16, listType: 'map', listMapKeys: ['name'] })),
    webhooks: optional(array(webhook, { description: 'Webhooks.', maxItems: 16, listType: 'map', listMapKeys: ['name'] })),
    alerts: optional(array(alert, { description: 'Alerts.', maxItems: 8, listType: 'map', listMapKeys: ['name'] })),
    judge: optional(judge),
    windows: optional(array(window, { description: 'Deployment windows; none means always open.', maxItems: 8 })),
  },
  {
    description:
      'How the rollout proceeds. Weighted canary: stepWeight or stepWeights. A/B testing: iterations with match. Blue/green: iterations, optionally with mirror.',
    validations: [
      {
        rule: '!(has(self.stepWeight) && has(self.stepWeights))',
        message: 'stepWeight and stepWeights are mutually exclusive',
        fieldPath: '.stepWeights',
        reason: 'FieldValueForbidden',
      },
      {
        rule: '!has(self.iterations) || !(has(self.stepWeight) || has(self.stepWeights))',
        message: 'iterations (A/B testing, blue/green) cannot be combined with stepWeight or stepWeights',
        fieldPath: '.iterations',
        reason: 'FieldValueForbidden',
      },
      {
        rule: 'has(self.stepWeight) || has(self.stepWeights) || has(self.iterations)',
        message: 'set stepWeight or stepWeights (weighted canary) or iterations (A/B testing, blue/green)',
        fieldPath: '.stepWeight',
        reason: 'FieldValueRequired',
      },
      {
        rule: '!has(self.stepWeight) || self.stepWeight <= (has(self.maxWeight) ? self.maxWeight : 100)',
        message: 'stepWeight must not exceed maxWeight (default 100)',
        fieldPath: '.stepWeight',
      },
      {
        rule: '!has(self.stepWeights) || !has(self.maxWeight) || self.stepWeights.all(w, w <= self.maxWeight)',
        message: 'stepWeights must not exceed maxWeight',
        fieldPath: '.stepWeights',
      },
      {
        rule: '!has(self.match) || has(self.iterations)',
        message: 'match (A/B testing) requires iterations',
        fieldPath: '.match',
      },
      {
        rule: '!(has(self.mirror) && self.mirror && has(self.match))',
        message: 'mirror cannot be combined with match (A/B testing)',
        fieldPath: '.mirror',
        reason: 'FieldValueForbidden',
      },
      {
        rule: '!has(self.mirrorWeight) || (has(self.mirror) && self.mirror)',
        message: 'mirrorWeight requires mirror: true',
        fieldPath: '.mirrorWeight',
      },
      {
        rule: '!has(self.sessionAffinity) || has(self.stepWeight) || has(self.stepWeights)',
        message: 'sessionAffinity requires a weighted canary (stepWeight or stepWeights)',
        fieldPath: '.sessionAffinity',
      },
      {
        rule: '!has(self.stepWeightPromotion) || has(self.stepWeight) || has(self.stepWeights)',
        message: 'stepWeightPromotion requires a weighted canary (stepWeight or stepWeights)',
        fieldPath: '.stepWeightPromotion',
      },
      {
        rule: "!has(self.metrics) || (has(self.judge) && self.judge.mode == 'compare') || self.metrics.all(m, has(m.thresholdRange))",
        message: 'every metric needs a thresholdRange unless judge.mode is compare',
        fieldPath: '.metrics',
      },
    ],
  },
);

export const canarySpec = object(
  {
    targetRef,
    autoscalerRef: optional(autoscalerRef),
    service,
    analysis,
    progressDeadlineSeconds: withDefault(
      integer({
        description:
          'Seconds a Deployment may take to become ready, and the analysis may go without a verdict (ceil(progressDeadlineSeconds / interval) inconclusive analyses in a row), before the rollout fails.',
        minimum: 1,
        format: 'int32',
      }),
      600,
    ),
    skipAnalysis: optional(boolean({ description: 'Promote new revisions without analysis (emergency fixes).' })),
    suspend: optional(boolean({ description: 'Ignore new revisions and leave traffic as it is.' })),
    revertOnDeletion: withDefault(
      boolean({ description: 'When the Canary is deleted, give the target back its replicas and route the apex to it.' }),
      true,
    ),
  },
  {
    description: 'Desired behaviour of the progressive rollout of one Deployment.',
    validations: [
      {
        rule: `has(self.service.name) || (self.targetRef.name.size() <= ${APEX_NAME_MAX_LENGTH} && self.targetRef.name.matches(${celRegex(DNS1035_LABEL_PATTERN)}))`,
        message: `without service.name the target's name names the Services, so it must be a DNS-1035 label of at most ${APEX_NAME_MAX_LENGTH} characters`,
        fieldPath: '.targetRef.name',
      },
    ],
  },
);

const analysisResult = object({
  metric: string({ description: 'Metric (or webhook) the result is for.', maxLength: 128 }),
  value: optional(number({ description: 'Canary value measured.' })),
  primaryValue: optional(number({ description: 'Primary value measured (compare judge).' })),
  thresholdRange: optional(thresholdRange),
  verdict: enumOf(ANALYSIS_VERDICTS, { description: 'Passed, Failed or Inconclusive (too little traffic to tell).' }),
  message: optional(string({ description: 'Details, e.g. the query error.', maxLength: 1024 })),
  time: string({ description: 'When the result was taken.', format: 'date-time', maxLength: 64 }),
});

const manualAction = object(
  {
    action: enumOf(MANUAL_ACTIONS, { description: 'The requested action.' }),
    nonce: string({ description: 'Nonce of the request, echoed so that the requester recognises its own.', maxLength: 64 }),
    state: enumOf(MANUAL_ACTION_STATES, { description: 'Pending (seen, not yet done), Applied or Rejected.' }),
    message: optional(string({ description: 'Why it was rejected, or what it did.', maxLength: 1024 })),
    time: string({ description: 'When the state was last set.', format: 'date-time', maxLength: 64 }),
  },
  { description: 'The last action requested through the sluice.dev/action annotation and what became of it.' },
);

const timestamp = (description: string) => string({ description, format: 'date-time', maxLength: 64 });

const rolloutProgress = object(
  {
    startedAt: optional(timestamp('When the current rollout started.')),
    finishedAt: optional(timestamp('When the last rollout was promoted or rolled back.')),
    preRolloutPassed: optional(boolean({ description: 'The pre-rollout webhooks passed for this revision.' })),
    stepRoute: optional(string({ description: 'Key of the traffic route of the current step.', maxLength: 256 })),
    stepStartedAt: optional(timestamp('When every proxy had applied the current step: its analysis window starts here.')),
    lastAnalysisAt: optional(timestamp('When the last analysis ran.')),
    mirrorDone: optional(boolean({ description: 'The mirroring step of this rollout is over.' })),
    stalled: optional(boolean({ description: 'A Deployment missed its progress deadline.' })),
    inconclusiveChecks: optional(
      integer({ description: 'Analyses in a row without a verdict (no data, too little traffic) at the current step.', minimum: 0, format: 'int32' }),
    ),
  },
  { description: 'Bookkeeping of the rollout in progress, so that a restarted operator carries on where the last one stopped.' },
);

export const canaryStatus = object({
  phase: optional(enumOf(CANARY_PHASES, { description: 'Where the rollout is.' })),
  canaryWeight: optional(integer({ description: 'Percentage of traffic the canary receives.', minimum: 0, maximum: 100, format: 'int32' })),
  failedChecks: optional(integer({ description: 'Failed checks in the current rollout.', minimum: 0, format: 'int32' })),
  iterations: optional(integer({ description: 'Analysis steps taken (A/B testing, blue/green).', minimum: 0, format: 'int32' })),
  lastAppliedSpec: optional(string({ description: 'Hash of the target pod template last rolled out.', maxLength: 128 })),
  lastPromotedSpec: optional(string({ description: 'Hash of the target pod template last promoted.', maxLength: 128 })),
  trackedConfigs: optional(
    map(string({ maxLength: 128 }), {
      description: 'Hashes of the ConfigMaps and Secrets the target uses, keyed configmap/NAME or secret/NAME.',
      maxProperties: 256,
    }),
  ),
  lastTransitionTime: optional(string({ description: 'When the phase last changed.', format: 'date-time', maxLength: 64 })),
  observedGeneration: optional(integer({ description: 'The .metadata.generation this status describes.', minimum: 0, format: 'int64' })),
  message: optional(string({ description: 'Human-readable state of the rollout.', maxLength: 4096 })),
  paused: optional(boolean({ description: 'Paused by a pause action until a resume action.' })),
  conditions: optional(conditions('Ready, Stalled, Reconciling (kstatus) and Promoted.')),
  analysisResults: optional(array(analysisResult, { description: 'Results of the last analysis step.', maxItems: 64 })),
  manualAction: optional(manualAction),
  rollout: optional(rolloutProgress),
});

export type CanarySpec = Static<typeof canarySpec>;
export type CanaryStatus = Static<typeof canaryStatus>;
export type CanaryTargetRef = CanarySpec['targetRef'];
export type CanaryAutoscalerRef = NonNullable<CanarySpec['autoscalerRef']>;
export type CanaryService = CanarySpec['service'];
export type CanaryAnalysis = CanarySpec['analysis'];
export type CanaryMatch = NonNullable<CanaryAnalysis['match']>[number];
export type CanarySessionAffinity = NonNullable<CanaryAnalysis['sessionAffinity']>;
export type CanaryMetric = NonNullable<CanaryAnalysis['metrics']>[number];
export type ThresholdRange = NonNullable<CanaryMetric['thresholdRange']>;
export type CanaryWebhook = NonNullable<CanaryAnalysis['webhooks']>[number];
export type CanaryAlert = NonNullable<CanaryAnalysis['alerts']>[number];
export type CanaryJudge = NonNullable<CanaryAnalysis['judge']>;
export type DeploymentWindow = NonNullable<CanaryAnalysis['windows']>[number];
export type AnalysisResult = NonNullable<CanaryStatus['analysisResults']>[number];
export type ManualActionStatus = NonNullable<CanaryStatus['manualAction']>;
export type RolloutProgress = NonNullable<CanaryStatus['rollout']>;

/** A Canary as read from the API server (server-side defaults applied). */
export type Canary = Resource<'Canary', CanarySpec, CanaryStatus>;
