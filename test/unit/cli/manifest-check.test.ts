import { checkManifests, errorCount, formatFinding, serverOnlyRules, summaryLine } from '../../../cli/manifest-check.js';

const CANARY = `apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata:
  name: podinfo
spec:
  targetRef:
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  analysis:
    stepWeight: 10
    maxWeight: 50
    metrics:
      - name: request-success-rate
        thresholdRange:
          min: 99
`;

const lines = (text: string, name = 'app.yaml') => checkManifests([{ name, text }]).findings.map(formatFinding);

describe('checkManifests', () => {
  it('passes a valid Canary', () => {
    const report = checkManifests([{ name: 'app.yaml', text: CANARY }]);
    expect(report).toEqual({ findings: [], checked: 1, skipped: 0 });
  });

  it('reports schema problems as file:doc: kind/name: field: message', () => {
    const broken = CANARY.replace('port: 9898', 'port: 98980').replace('stepWeight: 10', 'stepWeight: ten');
    expect(lines(broken)).toEqual([
      'app.yaml:1: Canary/podinfo: spec.service.port: must be less than or equal to 65535 (is 98980)',
      'app.yaml:1: Canary/podinfo: spec.analysis.stepWeight: must be of type integer, not string ("ten")',
    ]);
  });

  it('numbers documents and skips other kinds with a note', () => {
    const text = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n---\n${CANARY.replace('kind: Deployment', 'kind: StatefulSet')}`;
    const report = checkManifests([{ name: 'all.yaml', text }]);
    expect(report.findings.map(formatFinding)).toEqual([
      'all.yaml:1: Deployment/podinfo: skipped: apps/v1 Deployment is not a Sluice kind',
      'all.yaml:2: Canary/podinfo: spec.targetRef.kind: unsupported value "StatefulSet": supported values: "Deployment"',
    ]);
    expect(report.skipped).toBe(1);
    expect(errorCount(report)).toBe(1);
  });

  it('runs the operator checks on a well-shaped spec, with defaults applied', () => {
    const windows = `${CANARY}    windows:\n      - schedule: "61 * * * *"\n        duration: 1h\n      - schedule: "@daily"\n        duration: 1h\n        timeZone: Mars/Olympus\n`;
    expect(lines(windows)).toEqual([
      expect.stringMatching(/^app\.yaml:1: Canary\/podinfo: spec\.analysis\.windows\[0\]\.schedule: invalid cron schedule/),
      expect.stringMatching(/^app\.yaml:1: Canary\/podinfo: spec\.analysis\.windows\[1\]\.timeZone: unknown time zone Mars\/Olympus/),
    ]);
    const regex = CANARY.replace('stepWeight: 10\n    maxWeight: 50', 'iterations: 5\n    match:\n      - headers:\n          x-user:\n            regex: "[[:alpha:]]+"');
    expect(lines(regex)).toEqual([
      'app.yaml:1: Canary/podinfo: spec.analysis.match[0].headers[x-user].regex: POSIX character classes like [[:alpha:]] are not supported; use e.g. [a-zA-Z]',
    ]);
  });

  it('checks MetricTemplates with the operator check for template variables', () => {
    const template = `apiVersion: sluice.dev/v1alpha1\nkind: MetricTemplate\nmetadata:\n  name: errors\nspec:\n  provider:\n    type: prometheus\n    address: http://prometheus:9090\n  query: sum(rate(x{ns="{{ namespce }}"}[{{ interval }}]))\n`;
    expect(lines(template)).toEqual([expect.stringMatching(/^app\.yaml:1: MetricTemplate\/errors: spec\.query: unknown template variable \{\{ namespce \}\}/)]);
  });

  it('checks metadata: name required and a DNS-1123 subdomain, namespace a label', () => {
    expect(lines(CANARY.replace('name: podinfo\nspec', 'name: Pod_Info\n  namespace: Team A\nspec'))).toEqual([
      expect.stringMatching(/^app\.yaml:1: Canary\/Pod_Info: metadata\.name: "Pod_Info" must be a DNS-1123 subdomain/),
      expect.stringMatching(/^app\.yaml:1: Canary\/Pod_Info: metadata\.namespace: "Team A" must be a DNS-1123 label/),
    ]);
    expect(lines(CANARY.replace('metadata:\n  name: podinfo\n', 'metadata:\n  generateName: podinfo-\n'))).toEqual([]);
    expect(lines(CANARY.replace('metadata:\n  name: podinfo\n', ''))).toEqual(['app.yaml:1: Canary/(no name): metadata: required value is missing']);
  });

  it('reports unknown versions and kinds of our group', () => {
    expect(lines(CANARY.replace('v1alpha1', 'v1'))).toEqual(['app.yaml:1: Canary/podinfo: apiVersion: unknown version sluice.dev/v1: served versions: sluice.dev/v1alpha1']);
    expect(lines(CANARY.replace('kind: Canary', 'kind: Rollout'))).toEqual([
      'app.yaml:1: Rollout/podinfo: kind: unknown kind Rollout in sluice.dev: known kinds: Canary, MeshRoute, MetricTemplate, AlertProvider',
    ]);
  });

  it('reports YAML syntax errors, documents that are not objects, and missing kinds', () => {
    expect(lines('a: [1, 2\n')).toEqual([expect.stringMatching(/^app\.yaml:1: \(yaml\): /)]);
    expect(lines('- a\n- b\n')).toEqual(['app.yaml:1: (document): not a Kubernetes object but a list']);
    expect(lines('metadata:\n  name: x\n')).toEqual(['app.yaml:1: (no kind)/x: apiVersion: required value is missing']);
  });

  it('ignores empty documents and looks inside v1 Lists', () => {
    const list = `---\n---\napiVersion: v1\nkind: List\nitems:\n  - ${JSON.stringify({ apiVersion: 'sluice.dev/v1alpha1', kind: 'AlertProvider', metadata: { name: 'a' }, spec: { type: 'pager' } })}\n`;
    expect(lines(list)).toEqual([expect.stringMatching(/^app\.yaml:2\.items\[0\]: AlertProvider\/a: spec\.type: unsupported value "pager"/)]);
  });

  it('reads JSON, which is YAML', () => {
    expect(lines(JSON.stringify({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Canary', metadata: { name: 'x' }, spec: {} }), 'c.json')).toEqual([
      'c.json:1: Canary/x: spec.targetRef: required value is missing',
      'c.json:1: Canary/x: spec.service: required value is missing',
      'c.json:1: Canary/x: spec.analysis: required value is missing',
    ]);
  });
});

describe('what check leaves to the cluster', () => {
  it('lists the CEL rules and the operator rules that need other objects', () => {
    const rules = serverOnlyRules();
    expect(rules).toContainEqual(expect.stringMatching(/^Canary spec\.analysis: stepWeight and stepWeights are mutually exclusive \[API server, CEL: /));
    expect(rules).toContainEqual('Canary: The target Deployment (and autoscaler, if any) must exist in the Canary\'s namespace. [operator, needs other objects]');
  });

  it('says so in the summary', () => {
    const summary = summaryLine({ findings: [], checked: 2, skipped: 1 });
    expect(summary).toMatch(/^2 Sluice objects checked, 1 other document skipped: no problems\./);
    expect(summary).toMatch(/Not checked offline: the \d+ CEL rules of the CRDs \(run `kubectl apply --dry-run=server -f FILE`\)/);
  });
});
