// The chart renders, and what it renders the real API server accepts: `helm lint`, then
// `helm template` with the defaults and with every documented option, each object
// server-side applied with dryRun=All and strict field validation. Wrong values are
// refused before anything reaches the cluster, by the schema or by the chart's own checks,
// with a message that names the value.
import { installCrds } from '../../../crds/install.js';
import { waypointDeployment, waypointSettingsFromOptions } from '../../../operator/meshroute/waypoint.js';
import { parseOperatorOptions } from '../../../operator/runtime/operator-options.js';
import { deleteNamespace, kubeConfig, newNamespace } from '../../harness/index.js';
import { CHART_DIR, find, Helm, RawApi, type KubeObject } from './support.js';

const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBdzCCAR2gAwIBAgIUYWJjZGVmMDEyMzQ1Njc4OTAxMjM0NTY3ODkwCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----`;

interface Case {
  name: string;
  values: (namespaces: { release: string; other: string }) => string[];
  check?: (objects: KubeObject[], namespaces: { release: string; other: string }) => void;
  /** Objects the operator would create from the rendered flags; dry-run applied as well. */
  derived?: (objects: KubeObject[], namespaces: { release: string; other: string }) => KubeObject[];
}

/** The waypoint Deployment the operator builds from the chart's flags, in namespace `namespace`. */
function waypointFromChart(objects: KubeObject[], namespace: string): KubeObject {
  // The operator's environment as the kubelet fills it from the Deployment (downward API).
  const deployment = find(objects, 'Deployment');
  const env: Record<string, string> = {};
  for (const e of (containerOf(objects) as { env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }).env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] = e.value ?? (field === 'metadata.name' ? `${deployment.metadata.name}-5d8f9c-x2k4q` : field === 'metadata.namespace' ? (deployment.metadata.namespace ?? '') : '');
  }
  const options = parseOperatorOptions(containerOf(objects).args, { env, pid: 1, hostname: 'chart-test' });
  const settings = waypointSettingsFromOptions(options);
  if (!settings) throw new Error('the chart runs no waypoints');
  return waypointDeployment(namespace, settings) as unknown as KubeObject;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The rules that let the operator write ConfigMaps. */
function configMapWrites(objects: KubeObject[]): Rule[] {
  return objects
    .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
    .flatMap((o) => (o as unknown as { rules: Rule[] }).rules)
    .filter((r) => r.resources.includes('configmaps') && r.verbs.some((v) => v !== 'list' && v !== 'watch'));
}

const CA_WRITES: Rule[] = [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['sluice-config-server-ca'], verbs: ['create', 'patch', 'delete'] }];

function containerOf(objects: KubeObject[]): { args: string[]; image: string; env?: { name: string }[] } {
  const deployment = find(objects, 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { args: string[]; image: string; env?: { name: string }[] }[] } } };
  };
  const container = deployment.spec.template.spec.containers[0];
  if (!container) throw new Error('the Deployment has no container');
  return container;
}

const cases: Case[] = [
  {
    name: 'defaults',
    values: () => [],
    check: (objects, ns) => {
      const { args, image } = containerOf(objects);
      expect(image).toBe('ghcr.io/sluice-dev/sluice:0.1.0');
      expect(args).toEqual(
        expect.arrayContaining([
          '--token-audience=sluice.dev/config-server',
          '--proxy-service-accounts=sluice-waypoint',
          '--leader-elect',
          '--leader-pod-label',
          '--leader-election-id=sluice-operator',
          `--leader-election-namespace=${ns.release}`,
          '--waypoint-image=ghcr.io/sluice-dev/sluice:0.1.0',
          '--waypoint-replicas=2',
          `--waypoint-config-server-url=https://sluice-operator.${ns.release}.svc:15012`,
          `--waypoint-config-server-name=sluice-operator.${ns.release}.svc`,
          '--waypoint-ca-configmap=sluice-config-server-ca',
          '--waypoint-ca-file=/etc/sluice/config-server-ca/ca.crt',
          '--tls-cert-file=/etc/sluice/tls/tls.crt',
        ]),
      );
      expect(args.some((a) => a.startsWith('--namespace'))).toBe(false);
      expect(objects.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(0);
      expect(find(objects, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1 });
      // One CA ConfigMap, the operator's source; the operator applies the waypoints' copies.
      expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([`${ns.release}/sluice-operator-ca`]);
      expect(JSON.stringify(find(objects, 'Deployment'))).toContain('"configMap":{"name":"sluice-operator-ca"}');
      expect(configMapWrites(objects)).toEqual(CA_WRITES);
      // The config Service reaches the leader only; the leader labels its pod (own Role for it).
      expect((find(objects, 'Service', 'sluice-operator').spec as { selector: Record<string, string> }).selector).toEqual({
        'app.kubernetes.io/name': 'sluice',
        'app.kubernetes.io/instance': 'sluice',
        'app.kubernetes.io/component': 'operator',
        'sluice.dev/leader': 'true',
      });
      expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'sluice-operator-metrics')).toBe(false);
      const labelRole = find(objects, 'Role', 'sluice-operator-leader-label');
      expect(labelRole.metadata.namespace).toBe(ns.release);
      expect(labelRole.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'patch'] }]);
      expect(find(objects, 'RoleBinding', 'sluice-operator-leader-label').roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sluice-operator-leader-label' });
      const pod = (waypointFromChart(objects, ns.other) as unknown as { spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } }).spec.template.spec;
      expect(pod.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } } });
      expect(pod).not.toHaveProperty('imagePullSecrets');
      expect(pod).not.toHaveProperty('nodeSelector');
      expect(pod).not.toHaveProperty('tolerations');
    },
    derived: (objects, ns) => [waypointFromChart(objects, ns.other)],
  },
  {
    name: 'namespace scope',
    values: () => ['--set', 'rbac.scope=namespace'],
    check: (objects, ns) => {
      expect(containerOf(objects).args).toContain(`--namespace=${ns.release}`);
      const clusterRole = find(objects, 'ClusterRole') as unknown as { rules: { resources: string[] }[] };
      expect(clusterRole.rules.flatMap((r) => r.resources)).toEqual(['tokenreviews']);
      expect(find(objects, 'Role', 'sluice-operator').metadata.namespace).toBe(ns.release);
    },
  },
  {
    name: 'namespace scope watching another namespace',
    values: (ns) => ['--set', 'rbac.scope=namespace', '--set', `rbac.watchNamespace=${ns.other}`],
    check: (objects, ns) => {
      expect(containerOf(objects).args).toContain(`--namespace=${ns.other}`);
      expect(find(objects, 'Role', 'sluice-operator').metadata.namespace).toBe(ns.other);
      expect(find(objects, 'Role', 'sluice-operator-leader-election').metadata.namespace).toBe(ns.release);
      expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.namespace)).toEqual([ns.release]);
      expect((find(objects, 'Role', 'sluice-operator') as unknown as { rules: Rule[] }).rules).toEqual(expect.arrayContaining(CA_WRITES));
    },
  },
  {
    name: 'TLS from an existing Secret',
    values: () => ['--set', 'configServer.tls.mode=existingSecret', '--set', 'configServer.tls.existingSecret=my-tls', '--set', `configServer.tls.caCert=${CA_PEM}`],
    check: (objects) => {
      expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
      expect((find(objects, 'ConfigMap').data as Record<string, string>)['ca.crt']?.trim()).toBe(CA_PEM);
      const deployment = JSON.stringify(find(objects, 'Deployment'));
      expect(deployment).toContain('"secretName":"my-tls"');
    },
  },
  {
    name: 'plain-text config server',
    values: () => ['--set', 'configServer.tls.mode=none'],
    check: (objects, ns) => {
      const { args } = containerOf(objects);
      expect(args).toContain('--insecure-plaintext');
      expect(args).toContain(`--waypoint-config-server-url=http://sluice-operator.${ns.release}.svc:15012`);
      expect(args.some((a) => a.startsWith('--waypoint-ca-configmap') || a.startsWith('--waypoint-config-server-name') || a.startsWith('--tls-'))).toBe(false);
      expect(objects.some((o) => o.kind === 'Secret' || o.kind === 'ConfigMap')).toBe(false);
      expect(configMapWrites(objects)).toEqual([]);
    },
  },
  {
    name: 'no waypoints',
    values: () => ['--set', 'waypoint.enabled=false', '--set', 'configServer.allowedServiceAccounts=null'],
    check: (objects) => {
      const { args } = containerOf(objects);
      expect(args.some((a) => a.startsWith('--waypoint-') || a.startsWith('--proxy-service-accounts'))).toBe(false);
      expect(objects.some((o) => o.kind === 'ConfigMap')).toBe(false);
      expect(configMapWrites(objects)).toEqual([]);
    },
  },
  {
    name: 'waypoint image and replicas',
    values: () => [
      '--set', 'waypoint.image.repository=registry.example/sluice-proxy',
      '--set', 'waypoint.image.tag=1.2.3',
      '--set', 'waypoint.replicas=3',
    ],
    check: (objects) => {
      const { args } = containerOf(objects);
      expect(args).toEqual(expect.arrayContaining(['--waypoint-image=registry.example/sluice-proxy:1.2.3', '--waypoint-replicas=3']));
    },
  },
  {
    name: 'waypoint pod settings',
    values: () => [
      '--set', 'waypoint.image.pullPolicy=Always',
      '--set', 'waypoint.imagePullSecrets[0].name=regcred',
      '--set', 'waypoint.imagePullSecrets[1].name=mirror-pull',
      '--set', 'waypoint.replicas=4',
      '--set', 'waypoint.resources.requests.cpu=250m',
      '--set', 'waypoint.resources.requests.memory=128Mi',
      '--set', 'waypoint.resources.limits.cpu=2',
      '--set', 'waypoint.resources.limits.memory=1Gi',
      '--set', 'waypoint.nodeSelector.kubernetes\\.io/os=linux',
      '--set', 'waypoint.nodeSelector.pool=mesh',
      '--set-json', 'waypoint.tolerations=[{"key":"dedicated","operator":"Equal","value":"mesh","effect":"NoSchedule"},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":30}]',
    ],
    check: (objects, ns) => {
      expect(containerOf(objects).args).toEqual(
        expect.arrayContaining(['--waypoint-replicas=4', '--waypoint-image-pull-policy=Always', '--waypoint-image-pull-secrets=regcred,mirror-pull']),
      );
      const deployment = waypointFromChart(objects, ns.other) as unknown as { spec: { replicas: number; template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } };
      expect(deployment.spec.replicas).toBe(4);
      const pod = deployment.spec.template.spec;
      expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror-pull' }]);
      expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', pool: 'mesh' });
      expect(pod.tolerations).toEqual([
        { key: 'dedicated', operator: 'Equal', value: 'mesh', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      ]);
      expect(pod.containers[0]).toMatchObject({ imagePullPolicy: 'Always', resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } } });
    },
    derived: (objects, ns) => [waypointFromChart(objects, ns.other)],
  },
  {
    name: 'waypoint pull policy from the operator image, no resources',
    values: () => ['--set', 'image.pullPolicy=Never', '--set-json', 'waypoint.resources={}'],
    check: (objects, ns) => {
      const pod = (waypointFromChart(objects, ns.other) as unknown as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }).spec.template.spec;
      expect(pod.containers[0]).toMatchObject({ imagePullPolicy: 'Never', resources: {} });
    },
    derived: (objects, ns) => [waypointFromChart(objects, ns.other)],
  },
  {
    name: 'waypoints reach the config server by address and verify it by name',
    values: () => ['--set', 'waypoint.configServerUrl=https://10.96.0.12:15012', '--set', 'waypoint.configServerName=sluice.example.internal'],
    check: (objects) => {
      expect(containerOf(objects).args).toEqual(
        expect.arrayContaining(['--waypoint-config-server-url=https://10.96.0.12:15012', '--waypoint-config-server-name=sluice.example.internal']),
      );
    },
  },
  {
    name: 'one replica without leader election',
    values: () => ['--set', 'operator.replicas=1', '--set', 'operator.leaderElection.enabled=false'],
    check: (objects) => {
      // Without an election the one process leads, and labels its pod for the Service all the same.
      expect(containerOf(objects).args).toEqual(expect.arrayContaining(['--no-leader-elect', '--leader-pod-label']));
      expect(find(objects, 'Role', 'sluice-operator-leader-label').metadata.namespace).toBeDefined();
      expect(objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
      expect(objects.some((o) => o.kind === 'Role' && o.metadata.name.endsWith('leader-election'))).toBe(false);
    },
  },
  {
    name: 'scheduling, image and pod settings',
    values: () => [
      '--set', 'image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      '--set', 'imagePullSecrets[0].name=regcred',
      '--set', 'commonLabels.team=platform',
      '--set', 'operator.podAnnotations.note=x',
      '--set', 'operator.podLabels.tier=control',
      '--set', 'operator.nodeSelector.kubernetes\\.io/os=linux',
      '--set', 'operator.tolerations[0].key=dedicated',
      '--set', 'operator.tolerations[0].operator=Exists',
      '--set', 'operator.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=kubernetes.io/arch',
      '--set', 'operator.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=Exists',
      '--set', 'operator.topologySpreadConstraints[0].maxSkew=2',
      '--set', 'operator.topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname',
      '--set', 'operator.topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule',
      '--set', 'operator.priorityClassName=system-cluster-critical',
      '--set', 'operator.extraArgs={--config-debounce=100ms}',
      '--set', 'operator.extraEnv[0].name=TZ',
      '--set', 'operator.extraEnv[0].value=UTC',
      '--set', 'operator.resources.limits.cpu=1',
      '--set', 'operator.logLevel=debug',
      '--set', 'operator.adminPort=9090',
      '--set', 'operator.terminationGracePeriodSeconds=60',
      '--set', 'configServer.port=16012',
      '--set', 'configServer.extraTokenAudiences={https://kubernetes.default.svc}',
      '--set', 'service.type=NodePort',
      '--set', 'service.annotations.note=x',
      '--set', 'serviceAccount.annotations.note=x',
      '--set', 'metrics.podAnnotations=false',
      '--set', 'metrics.prometheusAddress=http://prometheus.monitoring:9090',
    ],
    check: (objects) => {
      const { args, image, env } = containerOf(objects);
      expect(image).toBe('ghcr.io/sluice-dev/sluice@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
      expect(args).toEqual(
        expect.arrayContaining([
          '--config-debounce=100ms',
          '--prometheus-address=http://prometheus.monitoring:9090',
          '--log-level=debug',
          '--admin-port=9090',
          '--config-port=16012',
          '--token-audience=sluice.dev/config-server,https://kubernetes.default.svc',
          '--waypoint-image=ghcr.io/sluice-dev/sluice@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        ]),
      );
      expect(env?.map((e) => e.name)).toContain('TZ');
      expect(JSON.stringify(find(objects, 'Deployment'))).not.toContain('prometheus.io/scrape');
      expect(find(objects, 'Service').metadata.labels?.team).toBe('platform');
    },
  },
  {
    name: 'existing ServiceAccount, names overridden',
    values: () => ['--set', 'serviceAccount.create=false', '--set', 'serviceAccount.name=my-operator', '--set', 'fullnameOverride=flow'],
    check: (objects) => {
      expect(objects.some((o) => o.kind === 'ServiceAccount')).toBe(false);
      expect(find(objects, 'Deployment').metadata.name).toBe('flow-operator');
      expect(JSON.stringify(find(objects, 'ClusterRoleBinding'))).toContain('"name":"my-operator"');
    },
  },
  {
    name: 'templated CRDs',
    values: () => ['--set', 'crds.templated=true', '--set', 'crds.keep=false'],
    check: (objects) => {
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
      expect(crds.map((c) => c.metadata.name).sort()).toEqual(['alertproviders.sluice.dev', 'canaries.sluice.dev', 'meshroutes.sluice.dev', 'metrictemplates.sluice.dev']);
      expect(crds.every((c) => c.metadata.annotations?.['helm.sh/resource-policy'] === undefined)).toBe(true);
    },
  },
  {
    name: 'examples',
    values: () => ['--set', 'examples.metricTemplates.enabled=true', '--set', 'examples.alertProvider.enabled=true'],
    check: (objects) => {
      expect(objects.filter((o) => o.kind === 'MetricTemplate').map((o) => o.metadata.name)).toEqual(['error-rate', 'latency-p95']);
      const query = (find(objects, 'MetricTemplate', 'error-rate').spec as { query: string }).query;
      expect(query).toContain('namespace="{{ namespace }}"');
      expect(find(objects, 'AlertProvider').spec).toMatchObject({ type: 'slack', channel: 'deployments', secretRef: { name: 'sluice-alerts' } });
    },
  },
];

describe('the Helm chart renders what the API server accepts', () => {
  const helm = new Helm();
  const api = new RawApi(kubeConfig());
  const namespaces = { release: '', other: '' };

  beforeAll(async () => {
    await installCrds(kubeConfig());
    namespaces.release = await newNamespace('chart-render');
    namespaces.other = await newNamespace('chart-render-other');
  });

  afterAll(async () => {
    helm.remove();
    await deleteNamespace(namespaces.release);
    await deleteNamespace(namespaces.other);
  });

  it('passes helm lint --strict, with defaults and in namespace scope', async () => {
    for (const values of [[], ['--set', 'rbac.scope=namespace', '--set', 'crds.templated=true']]) {
      const result = await helm.run(['lint', '--strict', CHART_DIR, ...values]);
      expect(`${result.code}\n${result.stdout}${result.stderr}`).toMatch(/^0\n[\s\S]*1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: every object passes a server-side dry run', async (_name, testCase) => {
    const objects = await helm.template('sluice', namespaces.release, testCase.values(namespaces));
    expect(objects.length).toBeGreaterThan(5);
    testCase.check?.(objects, namespaces);
    const rejected: string[] = [];
    for (const obj of [...objects, ...(testCase.derived?.(objects, namespaces) ?? [])]) {
      const response = await api.dryRunApply(obj);
      if (response.status !== 200 && response.status !== 201) rejected.push(`${obj.kind}/${obj.metadata.name}: ${response.status} ${response.text}`);
    }
    expect(rejected).toEqual([]);
  });

  it('would notice a misspelled field: the dry run validates strictly', async () => {
    const deployment = find(await helm.template('sluice', namespaces.release), 'Deployment') as KubeObject & {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    const container = deployment.spec.template.spec.containers[0];
    if (!container) throw new Error('no container');
    container.imagePullPolcy = 'Always';
    const response = await api.dryRunApply(deployment);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.text).toContain('imagePullPolcy');
  });

  it('renders Prometheus Operator monitors only where the cluster has their kinds', async () => {
    const monitorValues = ['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.podMonitor.enabled=true', '--set', 'metrics.podMonitor.labels.release=prom'];
    const refused = await helm.run(['template', 'sluice', CHART_DIR, '--namespace', namespaces.release, ...monitorValues]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('metrics.serviceMonitor.enabled is true but the cluster has no monitoring.coreos.com/v1 ServiceMonitor kind');

    const objects = await helm.template('sluice', namespaces.release, [
      ...monitorValues,
      '--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor',
      '--api-versions', 'monitoring.coreos.com/v1/PodMonitor',
    ]);
    expect(find(objects, 'ServiceMonitor').spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'sluice', 'app.kubernetes.io/instance': 'sluice', 'app.kubernetes.io/component': 'operator', 'sluice.dev/metrics': 'true' } },
      namespaceSelector: { matchNames: [namespaces.release] },
      endpoints: [{ port: 'admin', path: '/metrics', interval: '30s' }],
    });
    // The ServiceMonitor matches the -metrics Service (every replica), not the leader-only one.
    const metricsService = find(objects, 'Service', 'sluice-operator-metrics');
    expect(metricsService.metadata.labels?.['sluice.dev/metrics']).toBe('true');
    expect((metricsService.spec as { selector: Record<string, string> }).selector).not.toHaveProperty(['sluice.dev/leader']);
    expect(find(objects, 'Service', 'sluice-operator').metadata.labels?.['sluice.dev/metrics']).toBeUndefined();
    const podMonitor = find(objects, 'PodMonitor');
    expect(podMonitor.metadata.labels?.release).toBe('prom');
    expect(podMonitor.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'sluice-waypoint', 'app.kubernetes.io/component': 'waypoint' } },
      namespaceSelector: { any: true },
      podMetricsEndpoints: [{ port: 'admin', path: '/metrics', interval: '15s' }],
    });
    // The test cluster has no Prometheus Operator CRDs: everything else still goes through a dry run.
    for (const obj of objects.filter((o) => !o.apiVersion.startsWith('monitoring.coreos.com/'))) {
      expect([200, 201]).toContain((await api.dryRunApply(obj)).status);
    }
  });

  const rejections: [string, string[], string][] = [
    ['zero replicas', ['--set', 'operator.replicas=0'], "at '/operator/replicas': minimum: got 0, want 1"],
    ['a misspelled key', ['--set', 'operator.replics=3'], "at '/operator': additional properties 'replics' not allowed"],
    ['an unknown RBAC scope', ['--set', 'rbac.scope=cluser'], "at '/rbac/scope': value must be one of 'cluster', 'namespace'"],
    ['an unknown TLS mode', ['--set', 'configServer.tls.mode=cert-manager'], "at '/configServer/tls/mode': value must be one of 'generated', 'existingSecret', 'none'"],
    // Gone: the operator puts the CA into every waypoint namespace itself.
    ['a waypoint resource that is no quantity', ['--set', 'waypoint.resources.limits.memory=lots'], "at '/waypoint/resources/limits/memory'"],
    ['a misspelled waypoint resources key', ['--set', 'waypoint.resources.limit.memory=1Gi'], "at '/waypoint/resources': additional properties 'limit' not allowed"],
    ['an unknown waypoint pull policy', ['--set', 'waypoint.image.pullPolicy=Sometimes'], "at '/waypoint/image/pullPolicy': value must be one of"],
    ['a waypoint pull secret without a name', ['--set', 'waypoint.imagePullSecrets[0].secret=regcred'], "at '/waypoint/imagePullSecrets/0'"],
    ['a waypoint toleration with an unknown operator', ['--set-json', 'waypoint.tolerations=[{"key":"a","operator":"In"}]'], "at '/waypoint/tolerations/0/operator': value must be one of 'Exists', 'Equal'"],
    ['a waypoint node selector value that is no string', ['--set-json', 'waypoint.nodeSelector={"pool":3}'], "at '/waypoint/nodeSelector/pool': got number, want string"],
    ['the removed waypoint.namespaces', ['--set', 'waypoint.namespaces={apps}'], "at '/waypoint': additional properties 'namespaces' not allowed"],
    ['a CA ConfigMap name that is no object name', ['--set', 'configServer.tls.caConfigMapName=CA_Bundle'], "at '/configServer/tls/caConfigMapName': 'CA_Bundle' does not match pattern"],
    ['a duration without a unit', ['--set-string', 'operator.leaderElection.leaseDuration=14'], "at '/operator/leaderElection/leaseDuration': '14' does not match pattern"],
    ['a number where a duration goes', ['--set', 'operator.leaderElection.leaseDuration=14'], "at '/operator/leaderElection/leaseDuration': got number, want string"],
    ['a digest that is a tag', ['--set', 'image.digest=latest'], "at '/image/digest': 'latest' does not match pattern"],
    ['a privileged admin port', ['--set', 'operator.adminPort=80'], "at '/operator/adminPort': minimum: got 80, want 1,024"],
    ['an unknown alert provider type', ['--set', 'examples.alertProvider.type=email'], "at '/examples/alertProvider/type': value must be one of 'slack', 'msteams', 'discord', 'generic'"],
    ['a log level the operator does not know', ['--set', 'operator.logLevel=verbose'], "at '/operator/logLevel': value must be one of"],
    ['a Prometheus address without a scheme', ['--set', 'metrics.prometheusAddress=prometheus:9090'], "at '/metrics/prometheusAddress': 'prometheus:9090' does not match pattern"],
    ['an extra argument that is no flag', ['--set', 'operator.extraArgs={verbose}'], "at '/operator/extraArgs/0': 'verbose' does not match pattern"],
    [
      'several replicas without leader election',
      ['--set', 'operator.leaderElection.enabled=false'],
      'operator.replicas is 2 but operator.leaderElection.enabled is false',
    ],
    [
      'an existing-Secret mode without the Secret',
      ['--set', 'configServer.tls.mode=existingSecret', '--set', `configServer.tls.caCert=${CA_PEM}`],
      'configServer.tls.mode is existingSecret but configServer.tls.existingSecret is empty',
    ],
    [
      'an existing-Secret mode without the CA',
      ['--set', 'configServer.tls.mode=existingSecret', '--set', 'configServer.tls.existingSecret=my-tls'],
      'configServer.tls.caCert is empty: waypoints need the PEM CA certificate',
    ],
    ['a config server URL without a scheme', ['--set', 'waypoint.configServerUrl=sluice-operator:15012'], "at '/waypoint/configServerUrl': 'sluice-operator:15012' does not match pattern"],
    ['a config server name that is no DNS name', ['--set', 'waypoint.configServerName=Sluice_Operator'], "at '/waypoint/configServerName'"],
    [
      'a config server name without TLS',
      ['--set', 'configServer.tls.mode=none', '--set', 'waypoint.configServerName=op.sluice.svc'],
      'waypoint.configServerName is "op.sluice.svc" but configServer.tls.mode is none',
    ],
    [
      'an https config server URL without TLS',
      ['--set', 'configServer.tls.mode=none', '--set', 'waypoint.configServerUrl=https://op.sluice.svc:15012'],
      'the config server serves plain HTTP, use http://',
    ],
    ['an http config server URL with TLS', ['--set', 'waypoint.configServerUrl=http://10.96.0.12:15012'], 'the config server serves TLS (configServer.tls.mode generated): use https://'],
    ['a watch namespace in cluster scope', ['--set', 'rbac.watchNamespace=apps'], 'a watch namespace only applies with rbac.scope=namespace'],
    ['a PodMonitor without its CRD', ['--set', 'metrics.podMonitor.enabled=true'], 'install the Prometheus Operator CRDs first'],
  ];

  it.each(rejections)('refuses %s with a message that names it', async (_name, values, message) => {
    const result = await helm.run(['template', 'sluice', CHART_DIR, '--namespace', 'sluice-system', ...values]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});
