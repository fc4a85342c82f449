// Flagger's judge: a metric passes when its value lies inside thresholdRange. Unlike Flagger,
// too little traffic or no data at all is "inconclusive", never a failure: a quiet canary is
// not a broken one, and failing it would roll back healthy releases at night.

import { count, withUnit, type MetricUnit } from './format.js';
import { finiteValues, type Judgement } from './judgement.js';

/** Bounds as they appear in a Canary's thresholdRange (either may be absent). */
export interface ThresholdBounds {
  min?: number | null;
  max?: number | null;
}

export interface ThresholdJudgeInput {
  /** Metric name as written in the Canary, for the message. */
  metric: string;
  /** The measured value; undefined (or NaN) when the provider had no data. */
  value: number | undefined;
  unit?: MetricUnit;
  thresholdRange: ThresholdBounds;
  /** Requests behind the value, when the provider knows them (builtin metrics). */
  requests?: number;
  /** Fewer requests than this make the value too noisy to judge. */
  minRequests?: number;
  /** The window the value covers, as written in the Canary (e.g. "1m"). */
  window?: string;
  /** Why there is no value, when the provider said. */
  noDataReason?: string;
  /** The requests were mirrored copies (a mirror step): the messages say so. */
  mirrored?: boolean;
}

function requestsText(input: ThresholdJudgeInput, n: number): string {
  return `${count(n)} ${input.mirrored ? 'mirrored copies' : 'requests'}`;
}

function windowText(window: string | undefined): string {
  return window ? ` in the last ${window}` : '';
}

function trafficText(input: ThresholdJudgeInput): string {
  const parts: string[] = [];
  if (input.window) parts.push(`over ${input.window}`);
  if (input.requests !== undefined) parts.push(requestsText(input, input.requests));
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export function judgeThreshold(input: ThresholdJudgeInput): Judgement {
  const unit = input.unit ?? 'none';
  const { min, max } = input.thresholdRange;
  const hasMin = typeof min === 'number';
  const hasMax = typeof max === 'number';
  const values = finiteValues({
    value: input.value,
    requests: input.requests,
    min: hasMin ? min : undefined,
    max: hasMax ? max : undefined,
  });
  if (input.value === undefined || Number.isNaN(input.value)) {
    const why = input.noDataReason ? ` (${input.noDataReason})` : '';
    return { verdict: 'inconclusive', values, reason: `${input.metric}: no data${windowText(input.window)}${why}, so it was not judged` };
  }
  if (input.requests !== undefined && input.minRequests !== undefined && input.requests < input.minRequests) {
    return {
      verdict: 'inconclusive',
      values,
      reason: `${input.metric}: only ${requestsText(input, input.requests)}${windowText(input.window)}, fewer than the ${count(input.minRequests)} needed to judge`,
    };
  }
  const shown = withUnit(input.value, unit);
  if (hasMin && input.value < min) {
    return { verdict: 'fail', values, reason: `${input.metric} ${shown} is below the minimum of ${withUnit(min, unit)}${trafficText(input)}` };
  }
  if (hasMax && input.value > max) {
    return { verdict: 'fail', values, reason: `${input.metric} ${shown} is above the maximum of ${withUnit(max, unit)}${trafficText(input)}` };
  }
  let bounds: string;
  if (hasMin && hasMax) bounds = `within ${withUnit(min, unit)}–${withUnit(max, unit)}`;
  else if (hasMin) bounds = `at or above the minimum of ${withUnit(min, unit)}`;
  else if (hasMax) bounds = `at or below the maximum of ${withUnit(max, unit)}`;
  else bounds = 'measured (no thresholdRange to check it against)';
  return { verdict: 'pass', values, reason: `${input.metric} ${shown} is ${bounds}${trafficText(input)}` };
}
