// `kubectl sluice check` as a process on real files, and against the real API server's own
// verdict: what check flags on a field, the API server rejects on the same field.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { deleteNamespace, kubeConfig, newNamespace, repoRoot } from '../../harness/index.js';
import { ensureCrds, runCli } from './support.js';

let kc: KubeConfig;
let namespace: string;
let dir: string;

const EXAMPLE = readFileSync(join(repoRoot, 'examples/weighted-canary.yaml'), 'utf8');
type Json = Record<string, unknown>;
const example = (): Json => parse(EXAMPLE) as Json;

/** The example with fields changed: each path set to its value, or removed when undefined. */
function broken(changes: Record<string, unknown>): Json {
  const copy = example();
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    const last = keys.pop() ?? '';
    let node = copy;
    for (const key of keys) node = node[key] as Json;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return copy;
}

/** The API server's answer to a server-side dry-run create: the fields it blames, or none. */
async function serverRejects(manifest: Json): Promise<string> {
  const body = { ...manifest, metadata: { ...(manifest.metadata as Json), namespace } };
  try {
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      plural: 'canaries',
      namespace,
      body,
      dryRun: 'All',
      fieldValidation: 'Strict',
    });
    return '';
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const status = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as { message?: string };
    return status.message ?? '';
  }
}

beforeAll(async () => {
  kc = kubeConfig();
  await ensureCrds(kc);
  namespace = await newNamespace('cli-check');
  dir = mkdtempSync(join(tmpdir(), 'sluice-check-'));
});

afterAll(async () => {
  await deleteNamespace(namespace);
  rmSync(dir, { recursive: true, force: true });
});

describe('check', () => {
  it("passes the repository's examples", async () => {
    const documents = readdirSync(join(repoRoot, 'examples'))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(readFileSync(join(repoRoot, 'examples', f), 'utf8')))
      .filter((d) => d.toJS() !== null);
    const { code, stdout, stderr } = await runCli(['check', join(repoRoot, 'examples')], { env: { KUBECONFIG: undefined } });
    expect(stdout).toBe('');
    expect(code).toBe(0);
    expect(stderr).toMatch(new RegExp(`^${documents.length} Sluice objects checked: no problems\\.`));
    expect(stderr).toMatch(/Not checked offline: the \d+ CEL rules/);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a port out of range', 70000, 'spec.service.port', /must be less than or equal to 65535/],
    ['a kind the enum does not allow', 'StatefulSet', 'spec.targetRef.kind', /unsupported value "StatefulSet"/],
    ['a threshold below its minimum', 0, 'spec.analysis.threshold', /greater than or equal to 1/],
    ['a missing required field', undefined, 'spec.service', /required value is missing/],
    ['a port name against its pattern', 'HTTP_1', 'spec.service.portName', /must match the pattern/],
    ['a string over its maxLength', 'a-very-long-port-name', 'spec.service.portName', /may not be longer than 15/],
    ['a wrong type', '10%', 'spec.analysis.stepWeight', /must be of type integer/],
    ['an unknown field', 80, 'spec.service.prot', /unknown field/],
  ])('reports %s on the field the API server blames', async (_what, value, field, message) => {
    const manifest = broken({ [field]: value });
    const file = join(dir, `${field}.yaml`);
    writeFileSync(file, stringify(manifest));
    const { code, stdout } = await runCli(['check', file]);
    expect(code).toBe(1);
    expect(stdout.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: Canary/podinfo: ${field.replace(/\./g, '\\.')}: `))]);
    expect(stdout).toMatch(message);
    expect(await serverRejects(manifest)).toContain(field);
  });

  it('also runs the operator checks the API server cannot make', async () => {
    const manifest = broken({
      'spec.analysis.stepWeight': undefined,
      'spec.analysis.maxWeight': undefined,
      'spec.analysis.iterations': 10,
      'spec.analysis.match': [{ headers: { 'x-user': { regex: '[[:alpha:]]+' } } }],
    });
    expect(await serverRejects(manifest)).toBe('');
    const { code, stdout } = await runCli(['check', '-'], { stdin: stringify(manifest) });
    expect(code).toBe(1);
    expect(stdout).toBe('-:1: Canary/podinfo: spec.analysis.match[0].headers[x-user].regex: POSIX character classes like [[:alpha:]] are not supported; use e.g. [a-zA-Z]\n');
  });

  it('skips other kinds with a note, numbers documents, and reads several files', async () => {
    const mixed = join(dir, 'mixed.yaml');
    writeFileSync(mixed, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n---\n${stringify(broken({ 'spec.service.port': 0 }))}`);
    const good = join(dir, 'good.yaml');
    writeFileSync(good, EXAMPLE);
    const { code, stdout, stderr } = await runCli(['check', good, mixed]);
    expect(code).toBe(1);
    expect(stdout.trimEnd().split('\n')).toEqual([
      `${mixed}:1: ConfigMap/settings: skipped: v1 ConfigMap is not a Sluice kind`,
      `${mixed}:2: Canary/podinfo: spec.service.port: must be greater than or equal to 1 (is 0)`,
    ]);
    expect(stderr).toMatch(/^2 Sluice objects checked, 1 other document skipped: 1 problem\./);
  });

  it('lists the rules it leaves to the API server and the operator', async () => {
    const { code, stdout } = await runCli(['check', '--list-server-rules']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Canary spec\.analysis: stepWeight and stepWeights are mutually exclusive \[API server, CEL: /m);
    expect(stdout).toMatch(/\[operator, needs other objects\]$/m);
  });

  it('exits 3 when a file cannot be read', async () => {
    const { code, stderr } = await runCli(['check', join(dir, 'missing.yaml')]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^error: cannot read .*missing\.yaml: ENOENT/);
  });
});
