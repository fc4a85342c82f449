// Check results in the shape of the Canary's status.analysisResults (Flagger's field names).

import type { AnalysisResult, ThresholdRange } from '../crds/index.js';
import type { CheckResult } from './checks.js';

const MESSAGE_LIMIT = 1024;

/**
 * An error is recorded as Failed (that is how it counts) with the error in the message, so that
 * kubectl shows why; its absence of a value tells it apart from a measured failure.
 */
export function toAnalysisResult(result: CheckResult, time: Date, thresholdRange?: ThresholdRange): AnalysisResult {
  const verdict = result.verdict === 'pass' ? 'Passed' : result.verdict === 'inconclusive' ? 'Inconclusive' : 'Failed';
  const message = result.verdict === 'error' ? `error: ${result.reason}` : result.reason;
  return {
    metric: result.metric,
    ...(result.value !== undefined && Number.isFinite(result.value) ? { value: result.value } : {}),
    ...(result.primaryValue !== undefined && Number.isFinite(result.primaryValue) ? { primaryValue: result.primaryValue } : {}),
    ...(thresholdRange ? { thresholdRange } : {}),
    verdict,
    message: message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT - 1)}…` : message,
    time: time.toISOString(),
  };
}
