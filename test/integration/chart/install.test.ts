// The chart against the real API server, end to end: helm install brings the operator
// Deployment to Available (kwok runs its pods), the ServiceAccount may do what the operator
// does and nothing more (SubjectAccessReviews, both ways), a real sluice-operator process
// with that ServiceAccount's token, the chart's flags and the chart's certificate does its
// job without a single permission error, the waypoints it creates run real proxies that
// verify the chart's certificate and bring a MeshRoute to Programmed and a Canary to
// Initialized, helm upgrade changes what it should and keeps the certificate, and helm
// uninstall removes everything but the CRDs.
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { installCrds } from '../../../crds/install.js';
import { WAYPOINT_NAME, WAYPOINT_SELECTOR } from '../../../operator/meshroute/waypoint.js';
import { freePort } from '../../harness/control-plane.js';
import { deleteNamespace, kubeConfig, newNamespace, repoRoot, waitFor } from '../../harness/index.js';
import { ManagedProcess } from '../../harness/managed-process.js';
import { CHART_DIR, Helm, tempDir } from './support.js';
import { WaypointPods } from './waypoint-pods.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
const policy = kc.makeApiClient(k8s.PolicyV1Api);
const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
const extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);

const RELEASE = 'sluice';
const OPERATOR = 'sluice-operator';
const helm = new Helm();
const work = tempDir('sluice-chart-install-');
const timings: Record<string, number> = {};
let ns = '';
let appNs = '';
let scopedNs = '';

async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
}

interface Access {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

async function allowed(user: string, access: Access): Promise<boolean> {
  const review = await authz.createSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${user.split(':')[2] ?? ''}`, 'system:authenticated'],
        resourceAttributes: {
          verb: access.verb,
          resource: access.resource,
          group: access.group ?? '',
          subresource: access.subresource,
          namespace: access.namespace,
          name: access.name,
        },
      },
    },
  });
  return review.status?.allowed === true;
}

function describeAccess(a: Access): string {
  const resource = `${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.group ? `.${a.group}` : ''}`;
  return `${a.verb} ${resource}${a.name ? ` ${a.name}` : ''} in ${a.namespace ?? '(all namespaces)'}`;
}

/** The accesses whose answer differs from `expected`. */
async function mismatches(user: string, accesses: Access[], expected: boolean): Promise<string[]> {
  const wrong: string[] = [];
  for (const access of accesses) if ((await allowed(user, access)) !== expected) wrong.push(describeAccess(access));
  return wrong;
}

/** Selectors compared regardless of key order (the API server sorts map keys). */
function sameSelector(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const keys = Object.keys(b);
  return Object.keys(a ?? {}).length === keys.length && keys.every((k) => a?.[k] === b[k]);
}

function deploymentAvailable(d: k8s.V1Deployment): boolean {
  return (d.status?.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True');
}

async function secretData(name: string): Promise<Record<string, string>> {
  const secret = await core.readNamespacedSecret({ name, namespace: ns });
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

beforeAll(async () => {
  await installCrds(kc);
  ns = await newNamespace('chart-install');
  appNs = await newNamespace('chart-apps');
  scopedNs = await newNamespace('chart-scoped');
});

afterAll(async () => {
  // Whatever a failed test left installed goes with its namespace; cluster-scoped objects
  // of the release are removed by uninstall, which is idempotent enough to try again.
  await helm.run(['uninstall', RELEASE, '--namespace', ns, '--wait']);
  await helm.run(['uninstall', 'scoped', '--namespace', scopedNs, '--wait']);
  helm.remove();
  work.remove();
  for (const name of [ns, appNs, scopedNs]) await deleteNamespace(name);
  process.stdout.write(`[chart] timings (ms): ${JSON.stringify(timings)}\n`);
});

describe('helm install, upgrade and uninstall on a real API server', () => {
  it('installs: the operator Deployment becomes Available with its Service, PDB, certificate and CA source', async () => {
    const result = await helm.ok(['install', RELEASE, CHART_DIR, '--namespace', ns, '--wait', '--timeout', '120s']);
    timings.install = result.ms;
    expect(result.stdout).toContain('STATUS: deployed');
    expect(result.stdout).toContain(`kubectl -n ${ns} rollout status deployment/${OPERATOR}`);

    const deployment = await apps.readNamespacedDeployment({ name: OPERATOR, namespace: ns });
    expect(deploymentAvailable(deployment)).toBe(true);
    expect(deployment.status?.readyReplicas).toBe(2);
    const pod = deployment.spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod?.containers[0]?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });

    const service = await core.readNamespacedService({ name: OPERATOR, namespace: ns });
    expect(service.spec?.ports?.map((p) => [p.name, p.port])).toEqual([['admin', 8080], ['config', 15012]]);
    expect(await exists(() => policy.readNamespacedPodDisruptionBudget({ name: OPERATOR, namespace: ns }))).toBe(true);

    const tls = await secretData(`${OPERATOR}-tls`);
    const cert = new X509Certificate(tls['tls.crt'] ?? '');
    const ca = new X509Certificate(tls['ca.crt'] ?? '');
    expect(cert.subjectAltName).toContain(`DNS:${OPERATOR}.${ns}.svc`);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    // The operator's source of the CA; the waypoints' copies are the operator's to apply.
    const source = await core.readNamespacedConfigMap({ name: `${OPERATOR}-ca`, namespace: ns });
    expect(source.data?.['ca.crt']?.trim()).toBe(tls['ca.crt']?.trim());
    for (const namespace of [ns, appNs]) expect(await exists(() => core.readNamespacedConfigMap({ name: 'sluice-config-server-ca', namespace }))).toBe(false);
  });

  it('grants the operator what it calls, and refuses what it does not', async () => {
    const user = `system:serviceaccount:${ns}:${OPERATOR}`;
    const must: Access[] = [
      ...['list', 'watch', 'patch', 'create', 'delete'].map((verb) => ({ verb, resource: 'services', namespace: verb === 'list' || verb === 'watch' ? undefined : appNs })),
      { verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io' },
      { verb: 'watch', resource: 'endpointslices', group: 'discovery.k8s.io' },
      ...['list', 'watch'].map((verb) => ({ verb, resource: 'deployments', group: 'apps' })),
      ...['create', 'patch', 'delete'].map((verb) => ({ verb, resource: 'deployments', group: 'apps', namespace: appNs })),
      ...['create', 'patch', 'delete'].map((verb) => ({ verb, resource: 'serviceaccounts', namespace: appNs })),
      { verb: 'create', resource: 'events', namespace: appNs },
      { verb: 'patch', resource: 'events', namespace: appNs },
      ...['list', 'watch', 'patch'].map((verb) => ({ verb, resource: 'meshroutes', group: 'sluice.dev' })),
      ...['list', 'watch', 'patch'].map((verb) => ({ verb, resource: 'canaries', group: 'sluice.dev' })),
      { verb: 'patch', resource: 'meshroutes', group: 'sluice.dev', subresource: 'status', namespace: appNs },
      { verb: 'patch', resource: 'canaries', group: 'sluice.dev', subresource: 'status', namespace: appNs },
      { verb: 'update', resource: 'canaries', group: 'sluice.dev', subresource: 'finalizers', namespace: appNs },
      { verb: 'list', resource: 'metrictemplates', group: 'sluice.dev' },
      { verb: 'watch', resource: 'alertproviders', group: 'sluice.dev' },
      { verb: 'list', resource: 'configmaps' },
      ...['create', 'patch', 'delete'].map((verb) => ({ verb, resource: 'configmaps', namespace: appNs, name: 'sluice-config-server-ca' })),
      { verb: 'watch', resource: 'secrets', namespace: appNs },
      { verb: 'create', resource: 'tokenreviews', group: 'authentication.k8s.io' },
      { verb: 'create', resource: 'leases', group: 'coordination.k8s.io', namespace: ns },
      ...['get', 'list', 'watch', 'update'].map((verb) => ({ verb, resource: 'leases', group: 'coordination.k8s.io', namespace: ns, name: OPERATOR })),
      // The leader label on its own pods (the config Service selects the leader).
      { verb: 'list', resource: 'pods', namespace: ns },
      { verb: 'patch', resource: 'pods', namespace: ns, name: `${OPERATOR}-abc` },
      { verb: 'get', resource: 'horizontalpodautoscalers', group: 'autoscaling', namespace: appNs },
      { verb: 'create', resource: 'horizontalpodautoscalers', group: 'autoscaling', namespace: appNs },
      { verb: 'patch', resource: 'horizontalpodautoscalers', group: 'autoscaling', namespace: appNs },
      { verb: 'delete', resource: 'horizontalpodautoscalers', group: 'autoscaling', namespace: appNs },
    ];
    const mustNot: Access[] = [
      { verb: '*', resource: '*', group: '*' },
      { verb: 'list', resource: 'pods' },
      { verb: 'list', resource: 'pods', namespace: appNs },
      { verb: 'patch', resource: 'pods', namespace: appNs },
      { verb: 'get', resource: 'pods', namespace: ns },
      { verb: 'update', resource: 'pods', namespace: ns },
      { verb: 'delete', resource: 'pods', namespace: ns },
      { verb: 'create', resource: 'pods', namespace: ns },
      { verb: 'patch', resource: 'pods', subresource: 'status', namespace: ns },
      { verb: 'create', resource: 'pods', subresource: 'eviction', namespace: ns },
      { verb: 'create', resource: 'pods', namespace: appNs },
      { verb: 'delete', resource: 'pods', namespace: appNs },
      { verb: 'create', resource: 'pods', subresource: 'exec', namespace: appNs },
      { verb: 'list', resource: 'nodes' },
      { verb: 'patch', resource: 'nodes' },
      { verb: 'create', resource: 'namespaces' },
      { verb: 'delete', resource: 'namespaces', name: appNs },
      { verb: 'create', resource: 'customresourcedefinitions', group: 'apiextensions.k8s.io' },
      { verb: 'delete', resource: 'customresourcedefinitions', group: 'apiextensions.k8s.io', name: 'canaries.sluice.dev' },
      { verb: 'create', resource: 'clusterroles', group: 'rbac.authorization.k8s.io' },
      { verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io', namespace: appNs },
      { verb: 'bind', resource: 'clusterroles', group: 'rbac.authorization.k8s.io' },
      { verb: 'escalate', resource: 'roles', group: 'rbac.authorization.k8s.io', namespace: appNs },
      { verb: 'impersonate', resource: 'users' },
      { verb: 'create', resource: 'secrets', namespace: appNs },
      { verb: 'patch', resource: 'secrets', namespace: appNs },
      { verb: 'delete', resource: 'secrets', namespace: appNs },
      { verb: 'create', resource: 'configmaps', namespace: appNs },
      { verb: 'patch', resource: 'configmaps', namespace: appNs },
      { verb: 'create', resource: 'configmaps', namespace: appNs, name: 'app-settings' },
      { verb: 'patch', resource: 'configmaps', namespace: appNs, name: 'kube-root-ca.crt' },
      { verb: 'delete', resource: 'configmaps', namespace: appNs, name: 'app-settings' },
      { verb: 'update', resource: 'configmaps', namespace: appNs, name: 'sluice-config-server-ca' },
      { verb: 'delete', resource: 'configmaps', namespace: ns, name: `${OPERATOR}-ca` },
      { verb: 'create', resource: 'canaries', group: 'sluice.dev', namespace: appNs },
      { verb: 'update', resource: 'canaries', group: 'sluice.dev', namespace: appNs },
      { verb: 'delete', resource: 'canaries', group: 'sluice.dev', namespace: appNs },
      { verb: 'update', resource: 'meshroutes', group: 'sluice.dev', subresource: 'status', namespace: appNs },
      { verb: 'patch', resource: 'metrictemplates', group: 'sluice.dev', namespace: appNs },
      { verb: 'delete', resource: 'events', namespace: appNs },
      { verb: 'create', resource: 'subjectaccessreviews', group: 'authorization.k8s.io' },
      { verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: appNs },
      { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: ns, name: 'kube-scheduler' },
      { verb: 'delete', resource: 'leases', group: 'coordination.k8s.io', namespace: ns, name: OPERATOR },
      { verb: 'create', resource: 'leases', group: 'coordination.k8s.io', namespace: appNs },
      { verb: 'create', resource: 'ingresses', group: 'networking.k8s.io', namespace: appNs },
      { verb: 'update', resource: 'deployments', group: 'apps', namespace: appNs },
      { verb: 'patch', resource: 'deployments', group: 'apps', subresource: 'scale', namespace: appNs },
    ];
    expect(await mismatches(user, must, true)).toEqual([]);
    expect(await mismatches(user, mustNot, false)).toEqual([]);

    const clusterRole = await rbac.readClusterRole({ name: `${OPERATOR}-${ns}` });
    for (const rule of clusterRole.rules ?? []) {
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources ?? []).not.toContain('*');
      expect(rule.apiGroups ?? []).not.toContain('*');
    }
  });

  it('runs a real operator with that ServiceAccount, the chart flags and the chart certificate, and real waypoint proxies that verify it, without a permission error', async () => {
    const deployment = await apps.readNamespacedDeployment({ name: OPERATOR, namespace: ns });
    const chartArgs = deployment.spec?.template.spec?.containers[0]?.args ?? [];
    const tls = await secretData(`${OPERATOR}-tls`);
    writeFileSync(join(work.dir, 'tls.crt'), tls['tls.crt'] ?? '');
    writeFileSync(join(work.dir, 'tls.key'), tls['tls.key'] ?? '', { mode: 0o600 });
    const token = await core.createNamespacedServiceAccountToken({ name: OPERATOR, namespace: ns, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    const cluster = kc.getCurrentCluster();
    const kubeconfig = join(work.dir, 'operator.kubeconfig');
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: cluster?.server, 'certificate-authority-data': cluster?.caData } }],
        users: [{ name: 'operator', user: { token: token.status?.token } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'operator' } }],
        'current-context': 'test',
      }),
      { mode: 0o600 },
    );
    const configPort = await freePort();
    // This process stands in for one of the chart's (kwok) operator pods: it labels that pod.
    const operatorPods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/component=operator' })).items;
    const ownPod = operatorPods[0]?.metadata?.name ?? '';
    expect(operatorPods).toHaveLength(2);
    const local = (arg: string): boolean => /^--(admin-port|config-port|tls-cert-file|tls-key-file|waypoint-ca-file)=/.test(arg);
    // The chart mounts its CA ConfigMap for the operator; here it is a local copy.
    const caSource = await core.readNamespacedConfigMap({ name: `${OPERATOR}-ca`, namespace: ns });
    writeFileSync(join(work.dir, 'config-server-ca.crt'), caSource.data?.['ca.crt'] ?? '');
    const identity = 'chart-test-operator';
    const operator = new ManagedProcess({
      name: 'operator',
      command: process.execPath,
      args: [
        join(repoRoot, 'dist/operator/main.js'),
        ...chartArgs.filter((a) => !local(a)),
        `--kubeconfig=${kubeconfig}`,
        '--admin-host=127.0.0.1',
        '--admin-port=0',
        '--config-host=127.0.0.1',
        `--config-port=${configPort}`,
        `--tls-cert-file=${join(work.dir, 'tls.crt')}`,
        `--tls-key-file=${join(work.dir, 'tls.key')}`,
        `--waypoint-ca-file=${join(work.dir, 'config-server-ca.crt')}`,
        `--identity=${identity}`,
        `--pod-name=${ownPod}`,
        `--pod-namespace=${ns}`,
        // The waypoints reach this process by address (there is no cluster DNS or kube-proxy
        // here); the chart's --waypoint-config-server-name makes them verify the certificate
        // against the Service's name all the same.
        `--waypoint-config-server-url=https://127.0.0.1:${configPort}`,
      ],
      logFile: join(work.dir, 'operator.log'),
    });
    const waypointPods = new WaypointPods({
      core,
      namespace: appNs,
      labelSelector: Object.entries(WAYPOINT_SELECTOR).map(([k, v]) => `${k}=${v}`).join(','),
      dir: work.dir,
    });
    waypointPods.start();
    const proxyLogs = (): string => waypointPods.pods.map((p) => `${p}:\n${waypointPods.processOf(p)?.tail(5) ?? ''}`).join('\n') + `\nwaiting: ${JSON.stringify([...waypointPods.waiting])}`;
    try {
      await waitFor(
        'the operator to hold the chart\'s Lease',
        async () => (await coordination.readNamespacedLease({ name: OPERATOR, namespace: ns })).spec?.holderIdentity === identity,
        { timeoutMs: 30_000, describe: () => operator.tail(30) },
      );

      // The config server presents the chart's certificate, valid for the Service's name.
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: configPort, servername: `${OPERATOR}.${ns}.svc`, ca: tls['ca.crt'] }, () => {
          resolve(socket.authorized);
          socket.end();
        });
        socket.on('error', reject);
      });
      expect(authorized).toBe(true);

      // The leader labelled its pod, and the chart's Service now has exactly that endpoint.
      await waitFor(
        "the chart's Service to select the leader's pod only",
        async () => {
          const labelled = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'sluice.dev/leader=true' })).items.map((p) => p.metadata?.name);
          const slices = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${OPERATOR}` });
          const endpoints = slices.items.flatMap((sl) => sl.endpoints.filter((e) => e.conditions?.ready !== false).map((e) => e.targetRef?.name));
          return JSON.stringify(labelled) === JSON.stringify([ownPod]) && JSON.stringify(endpoints) === JSON.stringify([ownPod]);
        },
        { timeoutMs: 30_000, describe: () => operator.tail(20) },
      );

      // A MeshRoute exercises informers, finalizers, status, Events, apex patches and the waypoint.
      const labels = { app: 'web' };
      await apps.createNamespacedDeployment({
        namespace: appNs,
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'example.invalid/web:1', ports: [{ containerPort: 8080 }] }] } },
          },
        },
      });
      for (const name of ['web', 'web-stable']) {
        await core.createNamespacedService({ namespace: appNs, body: { metadata: { name }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
      }
      await custom.createNamespacedCustomObject({
        group: 'sluice.dev',
        version: 'v1alpha1',
        namespace: appNs,
        plural: 'meshroutes',
        body: {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'MeshRoute',
          metadata: { name: 'web' },
          spec: { service: 'web', port: 80, rules: [{ name: 'all', backends: [{ service: 'web-stable', port: 80, weight: 100 }] }] },
        },
      });
      await waitFor(
        'the MeshRoute to be Accepted, the waypoint to run and the apex Service to point at it',
        async () => {
          const route = (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: appNs, plural: 'meshroutes', name: 'web' })) as {
            status?: { conditions?: { type: string; status: string }[] };
          };
          const accepted = route.status?.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True') ?? false;
          const apex = await core.readNamespacedService({ name: 'web', namespace: appNs });
          const waypoint = await exists(() => apps.readNamespacedDeployment({ name: WAYPOINT_NAME, namespace: appNs }));
          return accepted && waypoint && sameSelector(apex.spec?.selector, WAYPOINT_SELECTOR);
        },
        { timeoutMs: 30_000, describe: () => operator.tail(30) },
      );
      const waypoint = await apps.readNamespacedDeployment({ name: WAYPOINT_NAME, namespace: appNs });
      const proxy = waypoint.spec?.template.spec?.containers[0];
      expect(proxy?.image).toBe('ghcr.io/sluice-dev/sluice:0.1.0');
      expect(proxy?.command).toEqual(['sluice-proxy']);
      expect(proxy?.args).toEqual(
        expect.arrayContaining([
          `--control-plane-url=https://127.0.0.1:${configPort}`,
          `--control-plane-server-name=${OPERATOR}.${ns}.svc`,
          '--control-plane-ca-file=/etc/sluice/ca/ca.crt',
        ]),
      );
      expect(waypoint.spec?.template.spec?.volumes?.find((v) => v.configMap)?.configMap?.name).toBe('sluice-config-server-ca');
      expect(await exists(() => core.readNamespacedServiceAccount({ name: WAYPOINT_NAME, namespace: appNs }))).toBe(true);
      // The operator put the chart's CA where the waypoint mounts it, as its own (server-side apply).
      const waypointCa = await core.readNamespacedConfigMap({ name: 'sluice-config-server-ca', namespace: appNs });
      expect(waypointCa.data?.['ca.crt']?.trim()).toBe(tls['ca.crt']?.trim());
      expect(waypointCa.metadata?.managedFields?.map((f) => [f.manager, f.operation])).toEqual([['sluice-meshroute', 'Apply']]);

      // Both waypoint pods' proxies connect over TLS, verifying the chart's certificate by the
      // Service's name, and apply the route: Programmed, 2/2.
      const programmedAt = Date.now();
      await waitFor(
        'the MeshRoute to be Programmed by both waypoint proxies',
        async () => {
          const route = (await custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: appNs, plural: 'meshroutes', name: 'web' })) as {
            status?: { conditions?: { type: string; status: string }[]; proxies?: { desired: number; applied: number } };
          };
          return route.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True') === true && route.status.proxies?.applied === 2;
        },
        { timeoutMs: 30_000, describe: () => `${operator.tail(20)}\n${proxyLogs()}` },
      );
      timings.meshRouteProgrammed = Date.now() - programmedAt;
      expect(waypointPods.pods).toHaveLength(2);
      for (const pod of waypointPods.pods) {
        const log = readFileSync(waypointPods.logOf(pod), 'utf8');
        expect(log).toContain(`"serverName":"${OPERATOR}.${ns}.svc"`);
        expect(log).toContain('connected to the control plane');
      }
      await waitFor(
        'an Event about the takeover',
        async () => (await core.listNamespacedEvent({ namespace: appNs })).items.some((e) => e.reason === 'ServiceTakenOver' && e.involvedObject.name === 'web'),
        { timeoutMs: 15_000 },
      );

      // Deleting the route exercises the finalizer and the waypoint's removal.
      await custom.deleteNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: appNs, plural: 'meshroutes', name: 'web' });
      await waitFor(
        'the route to go, the waypoint with it, and the apex Service to be given back',
        async () => {
          const route = await exists(() => custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: appNs, plural: 'meshroutes', name: 'web' }));
          const waypointLeft = await exists(() => apps.readNamespacedDeployment({ name: WAYPOINT_NAME, namespace: appNs }));
          const caLeft = await exists(() => core.readNamespacedConfigMap({ name: 'sluice-config-server-ca', namespace: appNs }));
          const apex = await core.readNamespacedService({ name: 'web', namespace: appNs });
          return !route && !waypointLeft && !caLeft && sameSelector(apex.spec?.selector, labels);
        },
        { timeoutMs: 30_000, describe: () => operator.tail(30) },
      );

      // A Canary exercises the Canary controller's writes: primary Deployment, Services, its
      // MeshRoute, finalizer, status and Events.
      const shop = { app: 'shop' };
      await apps.createNamespacedDeployment({
        namespace: appNs,
        body: {
          metadata: { name: 'shop' },
          spec: {
            replicas: 1,
            selector: { matchLabels: shop },
            template: { metadata: { labels: shop }, spec: { containers: [{ name: 'shop', image: 'example.invalid/shop:1', ports: [{ containerPort: 8080 }] }] } },
          },
        },
      });
      const canaryApi = { group: 'sluice.dev', version: 'v1alpha1', namespace: appNs, plural: 'canaries' };
      await custom.createNamespacedCustomObject({
        ...canaryApi,
        body: {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'Canary',
          metadata: { name: 'shop' },
          spec: {
            targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' },
            service: { port: 8080 },
            analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10, metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }] },
            revertOnDeletion: false,
          },
        },
      });
      const initializedAt = Date.now();
      // Initialized needs the primary ready and every waypoint proxy routing to it: the new
      // waypoint's proxies verify the chart's certificate as well.
      await waitFor(
        'the Canary to be Initialized and Ready',
        async () => {
          const canary = (await custom.getNamespacedCustomObject({ ...canaryApi, name: 'shop' })) as {
            status?: { phase?: string; conditions?: { type: string; status: string }[] };
          };
          return canary.status?.phase === 'Initialized' && canary.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
        },
        { timeoutMs: 60_000, describe: () => `${operator.tail(30)}\n${proxyLogs()}` },
      );
      timings.canaryInitialized = Date.now() - initializedAt;
      expect(await exists(() => apps.readNamespacedDeployment({ name: 'shop-primary', namespace: appNs }))).toBe(true);
      expect(waypointPods.pods).toHaveLength(2);
      await waitFor(
        'the Canary controller to apply the -primary and -canary Services and its MeshRoute',
        async () =>
          (await exists(() => core.readNamespacedService({ name: 'shop-primary', namespace: appNs }))) &&
          (await exists(() => core.readNamespacedService({ name: 'shop-canary', namespace: appNs }))) &&
          (await exists(() => custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: appNs, plural: 'meshroutes', name: 'shop' }))),
        { timeoutMs: 30_000, describe: () => operator.tail(30) },
      );
      // Deletion exercises the finalization: the route, the primary and the Services go, then the finalizer.
      await custom.deleteNamespacedCustomObject({ ...canaryApi, name: 'shop' });
      await waitFor(
        'the Canary to be finalized with everything it created',
        async () => {
          const canary = await exists(() => custom.getNamespacedCustomObject({ ...canaryApi, name: 'shop' }));
          const route = await exists(() => custom.getNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: appNs, plural: 'meshroutes', name: 'shop' }));
          const primary = await exists(() => apps.readNamespacedDeployment({ name: 'shop-primary', namespace: appNs }));
          const services = await exists(() => core.readNamespacedService({ name: 'shop-primary', namespace: appNs }));
          return !canary && !route && !primary && !services;
        },
        { timeoutMs: 60_000, describe: () => operator.tail(30) },
      );
    } finally {
      await waypointPods.stop();
      await operator.stop();
    }
    // A leader that stops takes its label off before it gives the lease up.
    expect((await core.listNamespacedPod({ namespace: ns, labelSelector: 'sluice.dev/leader=true' })).items).toEqual([]);
    const log = readFileSync(join(work.dir, 'operator.log'), 'utf8');
    const denials = log.split('\n').filter((line) => line.includes(`system:serviceaccount:${ns}:${OPERATOR}`) && /\bcannot\b/.test(line));
    expect(denials).toEqual([]);
  });

  it('upgrades to changed values: more replicas, new flags, the same certificate and CA', async () => {
    const before = await secretData(`${OPERATOR}-tls`);
    const result = await helm.ok([
      'upgrade', RELEASE, CHART_DIR, '--namespace', ns,
      '--set', 'operator.replicas=3', '--set', 'operator.logLevel=debug', '--set', 'waypoint.replicas=3',
      '--wait', '--timeout', '120s',
    ]);
    timings.upgrade = result.ms;
    expect(result.stdout).toContain('REVISION: 2');
    const deployment = await apps.readNamespacedDeployment({ name: OPERATOR, namespace: ns });
    expect(deploymentAvailable(deployment)).toBe(true);
    expect(deployment.status?.readyReplicas).toBe(3);
    expect(deployment.spec?.template.spec?.containers[0]?.args).toEqual(expect.arrayContaining(['--log-level=debug', '--waypoint-replicas=3']));
    expect(await secretData(`${OPERATOR}-tls`)).toEqual(before);
    expect((await core.readNamespacedConfigMap({ name: `${OPERATOR}-ca`, namespace: ns })).data?.['ca.crt']?.trim()).toBe(before['ca.crt']?.trim());
  });

  it('installs in namespace scope: full rights in the watched namespace, none elsewhere', async () => {
    const result = await helm.ok(['install', 'scoped', CHART_DIR, '--namespace', scopedNs, '--set', 'rbac.scope=namespace', '--wait', '--timeout', '120s']);
    timings.installNamespaceScope = result.ms;
    const deployment = await apps.readNamespacedDeployment({ name: 'scoped-sluice-operator', namespace: scopedNs });
    expect(deploymentAvailable(deployment)).toBe(true);
    expect(deployment.spec?.template.spec?.containers[0]?.args).toContain(`--namespace=${scopedNs}`);
    const user = `system:serviceaccount:${scopedNs}:scoped-sluice-operator`;
    const here: Access[] = [
      { verb: 'list', resource: 'services', namespace: scopedNs },
      { verb: 'patch', resource: 'services', namespace: scopedNs },
      { verb: 'watch', resource: 'meshroutes', group: 'sluice.dev', namespace: scopedNs },
      { verb: 'create', resource: 'deployments', group: 'apps', namespace: scopedNs },
      { verb: 'create', resource: 'tokenreviews', group: 'authentication.k8s.io' },
      { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: scopedNs, name: 'scoped-sluice-operator' },
      { verb: 'create', resource: 'configmaps', namespace: scopedNs, name: 'sluice-config-server-ca' },
    ];
    const elsewhere: Access[] = [
      { verb: 'list', resource: 'services' },
      { verb: 'list', resource: 'services', namespace: appNs },
      { verb: 'patch', resource: 'services', namespace: appNs },
      { verb: 'watch', resource: 'meshroutes', group: 'sluice.dev' },
      { verb: 'create', resource: 'deployments', group: 'apps', namespace: appNs },
      { verb: 'get', resource: 'secrets', namespace: appNs },
      { verb: 'create', resource: 'configmaps', namespace: appNs, name: 'sluice-config-server-ca' },
    ];
    expect(await mismatches(user, here, true)).toEqual([]);
    expect(await mismatches(user, elsewhere, false)).toEqual([]);
  });

  it('uninstalls: every object of the release is gone, the CRDs stay', async () => {
    const result = await helm.ok(['uninstall', RELEASE, '--namespace', ns, '--wait', '--timeout', '120s']);
    timings.uninstall = result.ms;
    const left: string[] = [];
    const check = async (what: string, read: () => Promise<unknown>): Promise<void> => {
      if (await exists(read)) left.push(what);
    };
    await check('Deployment', () => apps.readNamespacedDeployment({ name: OPERATOR, namespace: ns }));
    await check('Service', () => core.readNamespacedService({ name: OPERATOR, namespace: ns }));
    await check('ServiceAccount', () => core.readNamespacedServiceAccount({ name: OPERATOR, namespace: ns }));
    await check('Secret', () => core.readNamespacedSecret({ name: `${OPERATOR}-tls`, namespace: ns }));
    await check('ConfigMap', () => core.readNamespacedConfigMap({ name: `${OPERATOR}-ca`, namespace: ns }));
    await check('PodDisruptionBudget', () => policy.readNamespacedPodDisruptionBudget({ name: OPERATOR, namespace: ns }));
    await check('ClusterRole', () => rbac.readClusterRole({ name: `${OPERATOR}-${ns}` }));
    await check('ClusterRoleBinding', () => rbac.readClusterRoleBinding({ name: `${OPERATOR}-${ns}` }));
    await check('Role', () => rbac.readNamespacedRole({ name: `${OPERATOR}-leader-election`, namespace: ns }));
    await check('RoleBinding', () => rbac.readNamespacedRoleBinding({ name: `${OPERATOR}-leader-election`, namespace: ns }));
    await check('Role leader-label', () => rbac.readNamespacedRole({ name: `${OPERATOR}-leader-label`, namespace: ns }));
    await check('RoleBinding leader-label', () => rbac.readNamespacedRoleBinding({ name: `${OPERATOR}-leader-label`, namespace: ns }));
    expect(left).toEqual([]);
    expect(await exists(() => extensions.readCustomResourceDefinition({ name: 'canaries.sluice.dev' }))).toBe(true);
  });
});
