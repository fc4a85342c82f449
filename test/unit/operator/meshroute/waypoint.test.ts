import { waypointDeployment, waypointProxyArgs, waypointSettingsFromOptions, type WaypointSettings } from '../../../../operator/meshroute/waypoint.js';
import { parseOperatorOptions } from '../../../../operator/runtime/operator-options.js';

const base: WaypointSettings = {
  image: 'ghcr.io/sluice-dev/sluice:0.1.0',
  replicas: 2,
  configServerUrl: 'https://sluice-operator.sluice-system.svc:15012',
};

describe('waypoint proxy arguments', () => {
  it('passes the config server URL, the projected token and the log level', () => {
    expect(waypointProxyArgs(base)).toEqual([
      '--admin-port=15020',
      '--control-plane-url=https://sluice-operator.sluice-system.svc:15012',
      '--token-file=/var/run/secrets/sluice/token',
      '--log-level=info',
    ]);
  });

  it('verifies the config server with the mounted CA, and by the configured name when there is one', () => {
    const settings: WaypointSettings = {
      ...base,
      configServerUrl: 'https://10.96.0.12:15012',
      configServerCaConfigMap: 'sluice-config-server-ca',
      configServerName: 'sluice-operator.sluice-system.svc',
    };
    expect(waypointProxyArgs(settings)).toEqual(
      expect.arrayContaining([
        '--control-plane-url=https://10.96.0.12:15012',
        '--control-plane-ca-file=/etc/sluice/ca/ca.crt',
        '--control-plane-server-name=sluice-operator.sluice-system.svc',
      ]),
    );
    const deployment = waypointDeployment('shop', settings);
    const pod = deployment.spec?.template.spec;
    expect(pod?.volumes).toContainEqual({ name: 'config-server-ca', configMap: { name: 'sluice-config-server-ca' } });
    expect(pod?.containers[0]?.volumeMounts).toContainEqual({ name: 'config-server-ca', mountPath: '/etc/sluice/ca', readOnly: true });
  });

  it('passes no server name and no CA when none is configured', () => {
    const args = waypointProxyArgs(base);
    expect(args.some((a) => a.startsWith('--control-plane-server-name') || a.startsWith('--control-plane-ca-file'))).toBe(false);
  });
});

describe('waypoint Deployment pod settings', () => {
  const podOf = (settings: WaypointSettings) => {
    const pod = waypointDeployment('shop', settings).spec?.template.spec;
    if (!pod) throw new Error('no pod spec');
    return pod;
  };

  it('defaults: 2 replicas, IfNotPresent, 100m/64Mi requested and a 256Mi memory limit, no pull secrets, selectors or tolerations', () => {
    const deployment = waypointDeployment('shop', base);
    expect(deployment.spec?.replicas).toBe(2);
    const pod = podOf(base);
    expect(pod.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.containers[0]?.resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } });
    expect(pod).not.toHaveProperty('imagePullSecrets');
    expect(pod).not.toHaveProperty('nodeSelector');
    expect(pod).not.toHaveProperty('tolerations');
  });

  it('takes every configured setting', () => {
    const settings: WaypointSettings = {
      ...base,
      replicas: 3,
      imagePullPolicy: 'Always',
      imagePullSecrets: ['regcred', 'mirror'],
      resources: { requests: { cpu: '250m' }, limits: { cpu: '1', memory: '512Mi' } },
      nodeSelector: { 'kubernetes.io/os': 'linux', pool: 'mesh' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'mesh', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }],
    };
    expect(waypointDeployment('shop', settings).spec?.replicas).toBe(3);
    const pod = podOf(settings);
    expect(pod.containers[0]?.imagePullPolicy).toBe('Always');
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror' }]);
    expect(pod.containers[0]?.resources).toEqual({ requests: { cpu: '250m' }, limits: { cpu: '1', memory: '512Mi' } });
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', pool: 'mesh' });
    expect(pod.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'mesh', effect: 'NoSchedule' },
      { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
    // Settings never change what makes a waypoint safe.
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0]?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('empty resources mean none, empty lists and maps mean unset', () => {
    const pod = podOf({ ...base, resources: {}, imagePullSecrets: [], nodeSelector: {}, tolerations: [] });
    expect(pod.containers[0]?.resources).toEqual({});
    expect(pod).not.toHaveProperty('imagePullSecrets');
    expect(pod).not.toHaveProperty('nodeSelector');
    expect(pod).not.toHaveProperty('tolerations');
  });

  it('does not share objects with the settings (the controller hashes what it built)', () => {
    const settings: WaypointSettings = { ...base, nodeSelector: { pool: 'mesh' }, resources: { limits: { memory: '1Gi' } } };
    const pod = podOf(settings);
    pod.nodeSelector!.pool = 'changed';
    pod.containers[0]!.resources!.limits!.memory = '2Gi';
    expect(settings.nodeSelector).toEqual({ pool: 'mesh' });
    expect(settings.resources).toEqual({ limits: { memory: '1Gi' } });
  });
});

describe('waypoint settings from the operator flags', () => {
  const parse = (args: string[]) => parseOperatorOptions(['--insecure-plaintext', ...args], { env: {}, pid: 1, hostname: 'h' });

  it('runs no waypoints without an image', () => {
    expect(waypointSettingsFromOptions(parse([]))).toBeUndefined();
  });

  it('carries every waypoint flag', () => {
    const options = parse([
      '--waypoint-image=registry.example/sluice:1.2.3',
      '--waypoint-replicas=3',
      '--waypoint-image-pull-policy=Always',
      '--waypoint-image-pull-secrets=regcred,mirror',
      '--waypoint-resources={"requests":{"cpu":"250m","memory":128},"limits":{"memory":"1Gi"}}',
      '--waypoint-node-selector={"kubernetes.io/os":"linux"}',
      '--waypoint-tolerations=[{"key":"dedicated","operator":"Equal","value":"mesh","effect":"NoSchedule"}]',
      '--waypoint-config-server-url=https://10.96.0.12:15012',
      '--waypoint-config-server-name=sluice-operator.sluice-system.svc',
      '--waypoint-ca-configmap=sluice-config-server-ca',
    ]);
    expect(waypointSettingsFromOptions(options)).toEqual({
      image: 'registry.example/sluice:1.2.3',
      replicas: 3,
      imagePullPolicy: 'Always',
      imagePullSecrets: ['regcred', 'mirror'],
      resources: { requests: { cpu: '250m', memory: '128' }, limits: { memory: '1Gi' } },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'mesh', effect: 'NoSchedule' }],
      configServerUrl: 'https://10.96.0.12:15012',
      configServerName: 'sluice-operator.sluice-system.svc',
      configServerCaConfigMap: 'sluice-config-server-ca',
    });
  });
});
