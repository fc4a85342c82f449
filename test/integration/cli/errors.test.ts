// The errors a user meets first, against the real API server: a canary that is not there, a
// context that is not there, a ServiceAccount without the permission, bad credentials and an
// API server that does not answer. Each has its own message and exit code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { deleteNamespace, kubeConfig, kubeconfigPath, newNamespace } from '../../harness/index.js';
import { createCanary, ensureCrds, isoNow, runCli, setStatus } from './support.js';

let kc: KubeConfig;
let namespace: string;
let dir: string;

/** A kubeconfig for the test API server (its address and CA from the admin kubeconfig) with a bearer token. */
function tokenKubeconfig(file: string, token: string, server?: string): string {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('admin kubeconfig has no cluster');
  const path = join(dir, file);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: server ?? cluster.server, 'certificate-authority-data': cluster.caData } }],
      users: [{ name: 'sa', user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: 'test', user: 'sa', namespace } }],
      'current-context': 'sa',
    }),
    { mode: 0o600 },
  );
  return path;
}

async function serviceAccountToken(name: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const request = await core.createNamespacedServiceAccountToken({ namespace, name, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = request.status?.token;
  if (!token) throw new Error('TokenRequest returned no token');
  return token;
}

async function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

beforeAll(async () => {
  kc = kubeConfig();
  await ensureCrds(kc);
  namespace = await newNamespace('cli-errors');
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-errors-'));
  await createCanary(kc, namespace, 'podinfo');
  await setStatus(kc, namespace, 'podinfo', { phase: 'Progressing', canaryWeight: 30, lastTransitionTime: isoNow() });
});

afterAll(async () => {
  await deleteNamespace(namespace);
  rmSync(dir, { recursive: true, force: true });
});

describe('a missing canary', () => {
  it.each([
    ['status', ['status', 'nosuch']],
    ['get', ['get', 'nosuch']],
    ['wait', ['wait', 'nosuch', '--for=succeeded', '--timeout=5s']],
    ['promote', ['promote', 'nosuch']],
  ])('%s says which canary is missing where, exit 4', async (_command, args) => {
    const { code, stderr } = await runCli([...args, '-n', namespace]);
    expect(stderr).toBe(`error: canary "nosuch" not found in namespace "${namespace}"\n`);
    expect(code).toBe(4);
  });
});

describe('kubeconfig and context', () => {
  it('names the available contexts when --context is wrong, exit 3', async () => {
    const { code, stderr } = await runCli(['get', '--context', 'production']);
    expect(code).toBe(3);
    expect(stderr).toBe(`error: context "production" not found in the kubeconfig ($KUBECONFIG (${kubeconfigPath()})); available: sluice-test\n`);
  });

  it('honours --kubeconfig over $KUBECONFIG, and --context when it exists', async () => {
    const { code, stdout } = await runCli(['get', '-n', namespace, '--kubeconfig', kubeconfigPath(), '--context', 'sluice-test'], {
      env: { KUBECONFIG: join(dir, 'does-not-exist') },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAME +PHASE/);
  });

  it('says where it looked when there is no kubeconfig at all, exit 3', async () => {
    const { code, stderr } = await runCli(['get'], { env: { KUBECONFIG: undefined, HOME: dir } });
    expect(code).toBe(3);
    expect(stderr).toMatch(/^error: no kubeconfig found \(looked at --kubeconfig, \$KUBECONFIG, .*\.kube\/config, in-cluster ServiceAccount\)/);
  });

  it('explains an unreadable kubeconfig, exit 3', async () => {
    const { code, stderr } = await runCli(['get', '--kubeconfig', join(dir, 'nope.yaml')]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^error: cannot load the kubeconfig .*nope\.yaml: ENOENT/);
  });
});

describe('permissions', () => {
  let nobody: string;
  let reader: string;

  beforeAll(async () => {
    nobody = tokenKubeconfig('nobody.kubeconfig', await serviceAccountToken('nobody'));
    reader = tokenKubeconfig('reader.kubeconfig', await serviceAccountToken('reader'));
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name: 'canary-reader' }, rules: [{ apiGroups: ['sluice.dev'], resources: ['canaries'], verbs: ['get', 'list', 'watch'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'canary-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'canary-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
      },
    });
  });

  it('a ServiceAccount without RBAC may not patch, get or list canaries, exit 5', async () => {
    const patch = await runCli(['promote', 'podinfo'], { env: { KUBECONFIG: nobody } });
    expect(patch.code).toBe(5);
    expect(patch.stderr).toMatch(new RegExp(`^error: you may not patch canaries in namespace "${namespace}" \\(canaries.sluice.dev "podinfo" is forbidden: User "system:serviceaccount:${namespace}:nobody" cannot patch`));
    const get = await runCli(['status', 'podinfo'], { env: { KUBECONFIG: nobody } });
    expect(get.code).toBe(5);
    expect(get.stderr).toMatch(new RegExp(`^error: you may not get canaries in namespace "${namespace}"`));
    const list = await runCli(['get'], { env: { KUBECONFIG: nobody } });
    expect(list.code).toBe(5);
    expect(list.stderr).toMatch(new RegExp(`^error: you may not list canaries in namespace "${namespace}"`));
  });

  it('a read-only user sees the status (without Events) but may not promote', async () => {
    const status = await runCli(['status', 'podinfo'], { env: { KUBECONFIG: reader } });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Weight:        [██████░░░░░░░░░░░░░░] 30%');
    expect(status.stderr).toMatch(new RegExp(`^warning: cannot show Events: you may not list events in namespace "${namespace}"`));
    const promote = await runCli(['promote', 'podinfo'], { env: { KUBECONFIG: reader } });
    expect(promote.code).toBe(5);
    expect(promote.stderr).toMatch(new RegExp(`^error: you may not patch canaries in namespace "${namespace}"`));
  });

  it('rejected credentials are a 401, exit 5', async () => {
    const { code, stderr } = await runCli(['get'], { env: { KUBECONFIG: tokenKubeconfig('bad-token.kubeconfig', 'not-a-token') } });
    expect(code).toBe(5);
    expect(stderr).toMatch(/^error: the API server at https:\/\/\S+ did not accept the credentials of context "sa" \(401 Unauthorized\)/);
  });
});

describe('an API server that does not answer', () => {
  it('says so with the address and context, exit 6', async () => {
    const port = await unusedPort();
    const { code, stderr, elapsedMs } = await runCli(['get'], { env: { KUBECONFIG: tokenKubeconfig('down.kubeconfig', 'x', `https://127.0.0.1:${port}`) } });
    expect(code).toBe(6);
    expect(stderr).toBe(`error: cannot reach the API server at https://127.0.0.1:${port} (context "sa"): ECONNREFUSED: is the cluster running, and is "sa" the right context?\n`);
    expect(elapsedMs).toBeLessThan(15_000);
  });
});
