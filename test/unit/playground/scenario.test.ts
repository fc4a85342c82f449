import { stringify } from 'yaml';
import { checkManifests, formatFinding } from '../../../cli/manifest-check.js';
import { programOf } from '../../../test/harness/pod-launch.js';
import { alertProvider, canary, deployment, podTemplate, ROLLOUTS, STABLE } from '../../../playground/scenario.js';

describe('the playground scenario', () => {
  it('writes a Canary and an AlertProvider that pass the CRD schemas and the operator checks', () => {
    const report = checkManifests([{ name: 'playground', text: [canary(), alertProvider()].map((o) => stringify(o)).join('---\n') }]);
    expect(report.findings.map(formatFinding)).toEqual([]);
    expect(report.checked).toBe(2);
  });

  it('runs the demo app in every pod of the Deployment, each revision with its own version and error rate', () => {
    for (const revision of [STABLE, ...ROLLOUTS]) {
      const container = podTemplate(revision).spec?.containers[0];
      expect(programOf(container)).toBe('demo-app');
      const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
      expect(env).toMatchObject({ VERSION: revision.version, ERROR_RATE: String(revision.errorRate) });
    }
    expect(deployment(STABLE).spec?.template).toEqual(podTemplate(STABLE));
  });

  it('rolls out a healthy revision, then one whose errors the success-rate check must catch', () => {
    const min = canary().spec.analysis.metrics?.find((m) => m.name === 'request-success-rate')?.thresholdRange?.min ?? 0;
    expect(ROLLOUTS.map((r) => [r.version, r.expected])).toEqual([
      ['v2', 'promoted'],
      ['v3', 'rolled back'],
    ]);
    expect(100 * (1 - (ROLLOUTS[0]?.errorRate ?? 1))).toBeGreaterThanOrEqual(min);
    expect(100 * (1 - (ROLLOUTS[1]?.errorRate ?? 0))).toBeLessThan(min);
  });
});
