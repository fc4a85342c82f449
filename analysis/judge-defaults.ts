// The judge settings a Canary without analysis.judge gets. The API server fills in the judge's
// field defaults only when the judge object is present, so the operator applies them itself
// when it is absent, reading them from the CRD schema rather than repeating the numbers.

import { JUDGE_MODES, canarySpec, type CanaryJudge, type JudgeMode } from '../crds/index.js';

function schemaDefault(field: keyof CanaryJudge): unknown {
  return canarySpec.json.properties?.analysis?.properties?.judge?.properties?.[field]?.default;
}

function numberDefault(field: 'minRequests' | 'confidence' | 'maxRelativeDegradation'): number {
  const value = schemaDefault(field);
  if (typeof value !== 'number') throw new Error(`the Canary schema has no numeric default for analysis.judge.${field}`);
  return value;
}

function modeDefault(): JudgeMode {
  const value = schemaDefault('mode');
  const mode = JUDGE_MODES.find((m) => m === value);
  if (!mode) throw new Error('the Canary schema has no default for analysis.judge.mode');
  return mode;
}

export const DEFAULT_JUDGE: Readonly<CanaryJudge> = Object.freeze({
  mode: modeDefault(),
  minRequests: numberDefault('minRequests'),
  confidence: numberDefault('confidence'),
  maxRelativeDegradation: numberDefault('maxRelativeDegradation'),
});
