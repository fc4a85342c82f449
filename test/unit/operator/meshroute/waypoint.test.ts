import { waypointDeployment, waypointProxyArgs, type WaypointSettings } from '../../../../operator/meshroute/waypoint.js';

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
