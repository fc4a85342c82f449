import { parseDuration, parseOperatorOptions, usage, UsageError } from '../../../../operator/runtime/operator-options.js';

const environment = (env: Record<string, string> = {}, podNamespace?: string) => ({ env, podNamespace, pid: 42, hostname: 'host' });

describe('operator options', () => {
  it('has safe defaults: TLS required, leader election on, 14s/10s/2s timings', () => {
    const o = parseOperatorOptions(['--tls-cert-file=/c.pem', '--tls-key-file', '/k.pem'], environment({}, 'sluice-system'));
    expect(o).toMatchObject({
      watchNamespace: '',
      adminPort: 8080,
      configPort: 15012,
      tlsCertFile: '/c.pem',
      tlsKeyFile: '/k.pem',
      insecurePlaintext: false,
      leaderElect: true,
      leaderElectionId: 'sluice-operator',
      leaderElectionNamespace: 'sluice-system',
      leaseDurationMs: 14_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      identity: 'host_42',
      logLevel: 'info',
      configDebounceMs: 50,
    });
  });

  it('refuses to serve proxies without TLS unless plain HTTP is asked for explicitly', () => {
    expect(() => parseOperatorOptions([], environment())).toThrow(UsageError);
    expect(parseOperatorOptions(['--insecure-plaintext'], environment()).insecurePlaintext).toBe(true);
  });

  it('reads the environment, and flags win over it', () => {
    const env = { SLUICE_INSECURE_PLAINTEXT: 'true', SLUICE_ADMIN_PORT: '9090', POD_NAME: 'op-0', SLUICE_TOKEN_AUDIENCES: 'sluice, other', KUBECONFIG: '/kc' };
    const o = parseOperatorOptions(['--admin-port=9999', '--no-leader-elect', '--lease-duration=20s', '--retry-period', '500ms'], environment(env));
    expect(o.adminPort).toBe(9999);
    expect(o.identity).toBe('op-0');
    expect(o.tokenAudiences).toEqual(['sluice', 'other']);
    expect(o.kubeconfig).toBe('/kc');
    expect(o.leaderElect).toBe(false);
    expect(o.leaseDurationMs).toBe(20_000);
    expect(o.retryPeriodMs).toBe(500);
  });

  it('rejects unknown flags, bad values and missing values', () => {
    const ok = ['--insecure-plaintext'];
    expect(() => parseOperatorOptions([...ok, '--bogus'], environment())).toThrow('unknown flag --bogus');
    expect(() => parseOperatorOptions([...ok, '--admin-port=70000'], environment())).toThrow(/invalid port/);
    expect(() => parseOperatorOptions([...ok, '--log-level=loud'], environment())).toThrow(/unknown level/);
    expect(() => parseOperatorOptions([...ok, '--namespace'], environment())).toThrow(/needs a value/);
    expect(() => parseOperatorOptions([...ok, 'positional'], environment())).toThrow(/unexpected argument/);
    expect(() => parseOperatorOptions([...ok, '--leader-elect=maybe'], environment())).toThrow(/true or false/);
  });

  it('parses durations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('14s')).toBe(14_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('100')).toBe(100);
    expect(() => parseDuration('soon')).toThrow(UsageError);
  });

  it('documents every flag with its environment variable', () => {
    expect(usage()).toContain('--leader-elect / --no-leader-elect');
    expect(usage()).toContain('[$SLUICE_TLS_CERT_FILE]');
  });

  it('takes the name waypoints verify the config server by, and refuses one that cannot work', () => {
    const ok = ['--insecure-plaintext'];
    const o = parseOperatorOptions([...ok, '--waypoint-config-server-url=https://10.96.0.12:15012', '--waypoint-config-server-name=sluice-operator.sluice-system.svc'], environment());
    expect(o.waypointConfigServerUrl).toBe('https://10.96.0.12:15012');
    expect(o.waypointConfigServerName).toBe('sluice-operator.sluice-system.svc');
    expect(parseOperatorOptions(ok, environment({ SLUICE_WAYPOINT_CONFIG_SERVER_NAME: 'op.ns.svc' })).waypointConfigServerName).toBe('op.ns.svc');
    expect(parseOperatorOptions(ok, environment()).waypointConfigServerName).toBeUndefined();
    expect(() => parseOperatorOptions([...ok, '--waypoint-config-server-name=Op_Server'], environment())).toThrow('--waypoint-config-server-name: "Op_Server" is not a DNS name');
    expect(() => parseOperatorOptions([...ok, '--waypoint-config-server-url=http://op:15012', '--waypoint-config-server-name=op.ns.svc'], environment())).toThrow(
      '--waypoint-config-server-name needs an https --waypoint-config-server-url',
    );
    expect(() => parseOperatorOptions([...ok, '--waypoint-config-server-url=op:15012'], environment())).toThrow('--waypoint-config-server-url: the scheme must be https or http, got "op"');
    expect(() => parseOperatorOptions([...ok, '--waypoint-config-server-url=no url'], environment())).toThrow('--waypoint-config-server-url: "no url" is not a URL');
  });

  it('applies the CA bundle only into a named ConfigMap', () => {
    const ok = ['--insecure-plaintext'];
    const o = parseOperatorOptions([...ok, '--waypoint-ca-configmap=sluice-config-server-ca', '--waypoint-ca-file=/etc/sluice/config-server-ca/ca.crt'], environment());
    expect(o).toMatchObject({ waypointCaConfigMap: 'sluice-config-server-ca', waypointCaFile: '/etc/sluice/config-server-ca/ca.crt' });
    expect(() => parseOperatorOptions([...ok, '--waypoint-ca-file=/ca.crt'], environment())).toThrow('--waypoint-ca-file needs --waypoint-ca-configmap');
    expect(() => parseOperatorOptions([...ok, '--waypoint-ca-configmap=CA_Bundle'], environment())).toThrow('--waypoint-ca-configmap: "CA_Bundle" is not a valid ConfigMap name');
  });

  it('polls mounted files every 30s unless told otherwise, never more often than every 100ms', () => {
    const ok = ['--insecure-plaintext'];
    expect(parseOperatorOptions(ok, environment()).filePollIntervalMs).toBe(30_000);
    expect(parseOperatorOptions([...ok, '--file-poll-interval=200ms'], environment()).filePollIntervalMs).toBe(200);
    expect(() => parseOperatorOptions([...ok, '--file-poll-interval=10ms'], environment())).toThrow('--file-poll-interval: at least 100ms');
  });

  it('turns a bad waypoint pod setting into a usage error naming the flag', () => {
    const ok = ['--insecure-plaintext'];
    expect(() => parseOperatorOptions([...ok, '--waypoint-image-pull-policy=Sometimes'], environment())).toThrow('--waypoint-image-pull-policy: must be Always, IfNotPresent or Never, got "Sometimes"');
    expect(() => parseOperatorOptions([...ok, '--waypoint-resources={"limits":{"memory":"lots"}}'], environment())).toThrow(UsageError);
    expect(() => parseOperatorOptions([...ok, '--waypoint-resources={"limits":{"memory":"lots"}}'], environment())).toThrow('--waypoint-resources.limits.memory: "lots" is not a quantity');
    expect(() => parseOperatorOptions([...ok, '--waypoint-image-pull-secrets=ok,Not_OK'], environment())).toThrow('--waypoint-image-pull-secrets: "Not_OK" is not a Secret name');
    expect(() => parseOperatorOptions(ok, environment({ SLUICE_WAYPOINT_TOLERATIONS: '[{"key":"a","operator":"In"}]' }))).toThrow('--waypoint-tolerations[0].operator');
    expect(parseOperatorOptions(ok, environment())).toMatchObject({ waypointImagePullSecrets: [] });
    expect(parseOperatorOptions(ok, environment())).not.toHaveProperty('waypointResources', expect.anything());
  });

  it('labels the leader pod only when asked, and then needs to know the pod', () => {
    const ok = ['--insecure-plaintext'];
    expect(parseOperatorOptions(ok, environment({ POD_NAME: 'op-0' }, 'sluice-system'))).toMatchObject({ leaderPodLabel: false, podName: 'op-0', podNamespace: 'sluice-system' });
    expect(parseOperatorOptions([...ok, '--leader-pod-label'], environment({ POD_NAME: 'op-0', POD_NAMESPACE: 'sluice' }))).toMatchObject({
      leaderPodLabel: true,
      podName: 'op-0',
      podNamespace: 'sluice',
    });
    expect(parseOperatorOptions([...ok, '--leader-pod-label', '--pod-name=a', '--pod-namespace=b'], environment())).toMatchObject({ podName: 'a', podNamespace: 'b' });
    expect(() => parseOperatorOptions([...ok, '--leader-pod-label'], environment({}, 'sluice'))).toThrow('--leader-pod-label needs --pod-name');
    expect(() => parseOperatorOptions([...ok, '--leader-pod-label', '--pod-name=a'], environment())).toThrow('--leader-pod-label needs --pod-namespace');
  });
});
