import { parseProxyOptions, ProxyUsageError, USAGE } from '../../../proxy/proxy-options.js';

const environment = (env: Record<string, string> = {}) => ({ env, hostname: 'host', pid: 7 });
const parse = (argv: string[], env: Record<string, string> = {}) => parseProxyOptions(argv, environment(env));
const URL_FLAG = '--control-plane-url=https://127.0.0.1:15012';

describe('sluice-proxy options', () => {
  it('has defaults for everything but the config source', () => {
    expect(parse(['--config-file=/etc/sluice/snapshot.yaml'])).toEqual({
      help: false,
      source: { kind: 'file', path: '/etc/sluice/snapshot.yaml' },
      adminPort: 15000,
      bindAddress: '0.0.0.0',
      logLevel: 'info',
      accessLog: false,
      proxyId: 'host:7',
      drainTimeoutMs: 10_000,
    });
  });

  it('takes the server name to verify the config server certificate against', () => {
    const options = parse([URL_FLAG, '--control-plane-server-name=sluice-operator.sluice-system.svc', '--control-plane-ca-file=/ca.crt', '--token-file=/t']);
    expect(options.source).toEqual({
      kind: 'control-plane',
      url: 'https://127.0.0.1:15012',
      tokenFile: '/t',
      caFile: '/ca.crt',
      serverName: 'sluice-operator.sluice-system.svc',
    });
    // Unset: the URL's host is verified, as before.
    expect(parse([URL_FLAG]).source).toEqual({ kind: 'control-plane', url: 'https://127.0.0.1:15012', tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' });
  });

  it('reads the environment; flags win; empty variables count as unset', () => {
    const env = {
      SLUICE_CONTROL_PLANE_URL: 'https://10.0.0.1:15012',
      SLUICE_CONTROL_PLANE_SERVER_NAME: 'op.sluice.svc',
      SLUICE_ADMIN_PORT: '15020',
      SLUICE_PROXY_ID: '',
      POD_NAME: 'waypoint-abc',
    };
    const options = parse([], env);
    expect(options.source).toMatchObject({ url: 'https://10.0.0.1:15012', serverName: 'op.sluice.svc' });
    expect(options.adminPort).toBe(15020);
    expect(options.proxyId).toBe('waypoint-abc');
    expect(parse(['--control-plane-server-name=other.sluice.svc'], env).source).toMatchObject({ serverName: 'other.sluice.svc' });
  });

  it.each([
    [[URL_FLAG, '--control-plane-server-name=Sluice_Operator'], '--control-plane-server-name: "Sluice_Operator" is not a DNS name'],
    [[URL_FLAG, '--control-plane-server-name=op..svc'], '--control-plane-server-name: "op..svc" is not a DNS name'],
    [[URL_FLAG, `--control-plane-server-name=${'a'.repeat(64)}.svc`], 'is not a DNS name'],
    [['--control-plane-url=http://127.0.0.1:15012', '--control-plane-server-name=op.svc'], '--control-plane-server-name needs an https --control-plane-url'],
    [['--config-file=/s.yaml', '--control-plane-server-name=op.svc'], 'apply to --control-plane-url, not to --config-file'],
    [['--control-plane-url=sluice-operator:15012'], '--control-plane-url: the scheme must be https or http, got "sluice-operator"'],
    [['--control-plane-url=not a url'], '--control-plane-url: "not a url" is not a URL'],
    [[], 'no config source: pass --config-file or --control-plane-url'],
    [['--config-file=/s.yaml', URL_FLAG], 'pass either --config-file or --control-plane-url, not both'],
    [[URL_FLAG, '--admin-port=70000'], 'admin port must be a whole number from 0 to 65535, got "70000"'],
    [[URL_FLAG, '--drain-timeout=-1'], 'drain timeout must be a whole number'],
    [[URL_FLAG, '--log-level=loud'], '--log-level must be one of trace, debug, info, warn, error, fatal, silent, got "loud"'],
    [[URL_FLAG, '--control-plane-server'], "Unknown option '--control-plane-server'"],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parse(argv)).toThrow(ProxyUsageError);
    expect(() => parse(argv)).toThrow(message);
  });

  it('documents every flag it accepts', () => {
    for (const flag of ['--control-plane-server-name', '--control-plane-ca-file', '--control-plane-url', '--token-file', '--config-file', '--drain-timeout']) {
      expect(USAGE).toContain(flag);
    }
    expect(USAGE).toContain('SLUICE_CONTROL_PLANE_SERVER_NAME');
    expect(parse(['--help']).help).toBe(true);
  });
});
