// Sluice's Argo CD health checks and actions, run by the real Lua 5.1 interpreter in a
// sandbox with only what Argo CD's VM opens. The scripts come out of the documented argocd-cm
// snippet itself (so the snippet's nesting is tested too), the fixtures cover every Canary
// phase and MeshRoute condition, and the fixtures themselves are checked against the real
// CRDs' status schemas so that they look like what the operator writes.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { parseActionAnnotation } from '../../../crds/action.js';
import { CANARY_PHASES, MANUAL_ACTIONS } from '../../../crds/canary.js';
import { installCrds } from '../../../crds/install.js';
import { readCustomizations } from '../../../scripts/argocd-customizations.js';
import { argocdCmSnippet } from '../../../scripts/argocd-snippet.js';
import { deleteNamespace, kubeConfig, newNamespace, repoRoot } from '../../harness/index.js';
import { RawApi, type KubeObject } from '../chart/support.js';
import { runLua, type LuaOutcome } from './lua-runner.js';

type Json = Record<string, unknown>;
const GROUP_DIR = join(repoRoot, 'chart/argocd/sluice.dev');

interface Fixture {
  kind: 'Canary' | 'MeshRoute';
  name: string;
  obj: KubeObject & { status?: Json };
}

function fixtures(kind: Fixture['kind']): Fixture[] {
  const dir = join(GROUP_DIR, kind, 'testdata');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ kind, name: basename(f, '.yaml'), obj: parse(readFileSync(join(dir, f), 'utf8')) as Fixture['obj'] }));
}

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

/** The scripts as Argo CD would read them from the documented argocd-cm snippet. */
function scriptsFromSnippet(): { health: Record<string, string>; discovery: string; actions: Record<string, string> } {
  const cm = parse(argocdCmSnippet(readCustomizations(repoRoot))) as { data: Record<string, string> };
  const actionsDoc = parse(cm.data['resource.customizations.actions.sluice.dev_Canary'] ?? '') as {
    'discovery.lua': string;
    definitions: { name: string; 'action.lua': string }[];
  };
  return {
    health: {
      Canary: cm.data['resource.customizations.health.sluice.dev_Canary'] ?? '',
      MeshRoute: cm.data['resource.customizations.health.sluice.dev_MeshRoute'] ?? '',
    },
    discovery: actionsDoc['discovery.lua'],
    actions: Object.fromEntries(actionsDoc.definitions.map((d) => [d.name, d['action.lua']])),
  };
}

function outcome(results: Map<string, LuaOutcome>, id: string): unknown {
  const result = results.get(id);
  if (!result) throw new Error(`no result for ${id}`);
  if (!result.ok) throw new Error(`${id} failed in Lua: ${result.error}`);
  return result.value;
}

/** Argo CD decodes JSON into Lua tables and back: an empty list and an empty map look alike. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? {} : value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

const scripts = scriptsFromSnippet();
const canaryFixtures = fixtures('Canary');
const routeFixtures = fixtures('MeshRoute');

describe('Argo CD health checks', () => {
  let results: Map<string, LuaOutcome>;
  beforeAll(async () => {
    results = await runLua(
      [...canaryFixtures, ...routeFixtures].map((f) => ({ id: `${f.kind}/${f.name}`, script: scripts.health[f.kind] ?? '', obj: f.obj })),
    );
  });

  for (const kind of ['Canary', 'MeshRoute'] as const) {
    const tests = (parse(readFileSync(join(GROUP_DIR, kind, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }).tests;
    it(`${kind}: every fixture has an expected health, and gets it`, () => {
      const names = (kind === 'Canary' ? canaryFixtures : routeFixtures).map((f) => `testdata/${f.name}.yaml`);
      expect(tests.map((t) => t.inputPath).sort()).toEqual(names.sort());
      for (const test of tests) {
        const id = `${kind}/${basename(test.inputPath, '.yaml')}`;
        expect({ id, ...(outcome(results, id) as Json) }).toEqual({ id, ...test.healthStatus });
      }
    });
  }

  it('maps every Canary phase as designed', () => {
    const expected: Record<(typeof CANARY_PHASES)[number], string> = {
      Initializing: 'Progressing',
      Initialized: 'Healthy',
      Waiting: 'Suspended',
      Progressing: 'Progressing',
      WaitingPromotion: 'Suspended',
      Promoting: 'Progressing',
      Finalising: 'Progressing',
      Succeeded: 'Healthy',
      Failed: 'Degraded',
      Terminating: 'Progressing',
      Terminated: 'Healthy',
    };
    for (const phase of CANARY_PHASES) {
      // The plain fixture of each phase: not paused, not stalled, generation observed.
      const plain = canaryFixtures.filter((f) => {
        const status = f.obj.status as { phase?: string; paused?: boolean; observedGeneration?: number; conditions?: { type: string; status: string }[] } | undefined;
        const stalled = status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True') ?? false;
        return status?.phase === phase && status.paused !== true && (phase === 'Failed' || !stalled) && status.observedGeneration === (f.obj.metadata as { generation?: number }).generation;
      });
      expect({ phase, fixtures: plain.length > 0 }).toEqual({ phase, fixtures: true });
      for (const f of plain) expect({ phase, status: (outcome(results, `Canary/${f.name}`) as Json).status }).toEqual({ phase, status: expected[phase] });
    }
  });

  it('says Suspended for a paused rollout, Degraded for a stalled one, Progressing until the generation is observed', () => {
    expect(outcome(results, 'Canary/progressing-paused')).toMatchObject({ status: 'Suspended', message: expect.stringMatching(/^Paused at 20%/) });
    expect(outcome(results, 'Canary/stalled')).toMatchObject({ status: 'Degraded' });
    expect(outcome(results, 'Canary/stale-generation')).toEqual({ status: 'Progressing', message: 'Waiting for the Sluice operator to observe generation 4' });
    expect(outcome(results, 'MeshRoute/stale-generation')).toMatchObject({ status: 'Progressing' });
    expect(outcome(results, 'MeshRoute/rejected')).toMatchObject({ status: 'Degraded' });
  });
});

describe('Argo CD actions', () => {
  const activePhases = ['Progressing', 'Waiting', 'WaitingPromotion'];

  it('offers exactly the actions the operator would accept', async () => {
    const results = await runLua(canaryFixtures.map((f) => ({ id: f.name, script: scripts.discovery, obj: f.obj })));
    for (const f of canaryFixtures) {
      const status = f.obj.status as { phase?: string; paused?: boolean } | undefined;
      const phase = status?.phase ?? '';
      const paused = status?.paused === true;
      const enabled = {
        promote: activePhases.includes(phase),
        abort: activePhases.includes(phase) || phase === 'Promoting',
        retry: phase === 'Failed',
        pause: !paused,
        resume: paused,
      };
      const offered = outcome(results, f.name) as Record<string, { disabled: boolean; displayName: string; iconClass: string }>;
      expect(Object.keys(offered).sort()).toEqual([...MANUAL_ACTIONS].sort());
      const got = Object.fromEntries(Object.entries(offered).map(([name, a]) => [name, !a.disabled]));
      expect({ fixture: f.name, enabled: got }).toEqual({ fixture: f.name, enabled });
    }
  });

  it('each action sets the sluice.dev/action annotation with a fresh nonce and changes nothing else', async () => {
    const base = canaryFixtures.find((f) => f.name === 'progressing');
    if (!base) throw new Error('no progressing fixture');
    const withAnnotations = structuredClone(base.obj);
    withAnnotations.metadata.annotations = { 'team.example/owner': 'payments', 'sluice.dev/action': 'pause:older' };
    const cases = MANUAL_ACTIONS.flatMap((action) => [
      { id: `${action}/bare`, script: scripts.actions[action] ?? '', obj: base.obj },
      { id: `${action}/annotated`, script: scripts.actions[action] ?? '', obj: withAnnotations },
    ]);
    const before = Math.floor(Date.now() / 1000);
    const results = await runLua(cases);
    const after = Math.ceil(Date.now() / 1000);
    for (const action of MANUAL_ACTIONS) {
      for (const [variant, input] of [['bare', base.obj], ['annotated', withAnnotations]] as const) {
        const output = outcome(results, `${action}/${variant}`) as KubeObject;
        const value = output.metadata.annotations?.['sluice.dev/action'] ?? '';
        expect(value).toMatch(new RegExp(`^${action}:argocd-\\d+$`));
        const parsed = parseActionAnnotation(value);
        expect(parsed).toEqual({ ok: true, request: { action, nonce: expect.stringMatching(/^argocd-\d+$/) } });
        const stamp = Number(value.split('-').pop());
        expect(stamp).toBeGreaterThanOrEqual(before);
        expect(stamp).toBeLessThanOrEqual(after);
        const expected = structuredClone(input);
        expected.metadata.annotations = { ...(input.metadata.annotations ?? {}), 'sluice.dev/action': value };
        expect(normalize(output)).toEqual(normalize(expected));
      }
    }
  });
});

describe('the Lua sandbox is as strict as Argo CD', () => {
  it('has no string, math or io library and no string methods, but os.time and tables', async () => {
    const probe = (expr: string): string => `return {value = ${expr}}`;
    const results = await runLua([
      { id: 'method', script: probe('("abc"):upper()'), obj: {} },
      { id: 'string', script: probe('string.format("%d", 1)'), obj: {} },
      { id: 'math', script: probe('math.floor(1.5)'), obj: {} },
      { id: 'io', script: probe('io.open("/etc/hostname")'), obj: {} },
      { id: 'time', script: probe('os.time() > 0'), obj: {} },
      { id: 'table', script: 'local t = {} table.insert(t, obj.x) return {value = t[1] .. "!"}', obj: { x: 'ok' } },
    ]);
    for (const id of ['method', 'string', 'math', 'io']) expect({ id, ok: results.get(id)?.ok }).toEqual({ id, ok: false });
    expect(outcome(results, 'time')).toEqual({ value: true });
    expect(outcome(results, 'table')).toEqual({ value: 'ok!' });
  });
});

describe('the fixtures look like what the operator writes', () => {
  const api = new RawApi(kubeConfig());
  let namespace = '';

  beforeAll(async () => {
    await installCrds(kubeConfig());
    namespace = await newNamespace('argocd-fixtures');
  });
  afterAll(async () => {
    await deleteNamespace(namespace);
  });

  it('every fixture status passes the CRD status schema (strict), except the deliberately unknown phase', async () => {
    const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
    const refused: string[] = [];
    for (const f of [...canaryFixtures, ...routeFixtures]) {
      const plural = f.kind === 'Canary' ? 'canaries' : 'meshroutes';
      const name = `${f.kind.toLowerCase()}-${f.name}`;
      const { status, ...rest } = f.obj;
      const body = { ...rest, metadata: { name, namespace } };
      await custom.createNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace, plural, body });
      if (!status) continue;
      const response = await api.request(
        'PATCH',
        `/apis/sluice.dev/v1alpha1/namespaces/${namespace}/${plural}/${name}/status?dryRun=All&fieldValidation=Strict`,
        { status },
        'application/merge-patch+json',
      );
      if (response.status !== 200) refused.push(`${f.kind}/${f.name}: ${response.status} ${response.text}`);
    }
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^Canary\/unknown-phase: 422 .*Hibernating/);
  });
});
