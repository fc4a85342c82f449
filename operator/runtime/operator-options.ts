// Command-line flags and environment variables of the `sluice-operator` executable. Flags win
// over environment variables, which win over defaults. Pure: main.ts passes argv and env in.
import { parseAddressMapping } from '../address-map.js';
import {
  checkPullSecretNames,
  parseNodeSelector,
  parseTolerations,
  parseWaypointResources,
  WaypointSettingError,
  type WaypointResources,
  type WaypointToleration,
} from '../meshroute/waypoint-pod-settings.js';
export interface OperatorOptions {
  /** Explicit kubeconfig; absent: in-cluster config, else the default loading rules. */
  kubeconfig?: string;
  /** Namespace to watch; "" for all namespaces. */
  watchNamespace: string;
  adminHost: string;
  adminPort: number;
  configHost: string;
  configPort: number;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Serve the config server over plain HTTP (local development only). */
  insecurePlaintext: boolean;
  /** Audiences proxy tokens must carry (TokenReview); empty: the API server's default. */
  tokenAudiences: string[];
  /** ServiceAccounts allowed to fetch proxy configuration; empty: any in the namespace. */
  proxyServiceAccounts: string[];
  configDebounceMs: number;
  leaderElect: boolean;
  leaderElectionId: string;
  leaderElectionNamespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity: string;
  /**
   * Label this process's pod `sluice.dev/leader=true` while it leads (and only then), for a
   * Service that sends proxies to the leader only.
   */
  leaderPodLabel: boolean;
  /** This process's pod and namespace (downward API), for the leader label. */
  podName?: string;
  podNamespace?: string;
  logLevel: string;
  /** Endpoint address rewrites "FROM_CIDR=TO_CIDR" (local simulation only; see operator/address-map.ts). */
  endpointAddressMap: string[];
  /** Proxy image of the waypoints; absent: the operator runs no waypoints (proxies run elsewhere). */
  waypointImage?: string;
  waypointReplicas: number;
  waypointImagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Secrets (in each waypoint namespace) for pulling the waypoint image. */
  waypointImagePullSecrets: string[];
  /** Absent: the builder's defaults (100m CPU and 64Mi requested, 256Mi memory limit). */
  waypointResources?: WaypointResources;
  waypointNodeSelector?: Record<string, string>;
  waypointTolerations?: WaypointToleration[];
  /** URL of the config server as proxies in other namespaces reach it. */
  waypointConfigServerUrl: string;
  /** Name waypoints verify the config server's certificate against, when the URL's host differs. */
  waypointConfigServerName?: string;
  /** ConfigMap with `ca.crt`, the CA of the config server's certificate, that waypoint pods mount. */
  waypointCaConfigMap?: string;
  /**
   * PEM CA bundle the operator applies as that ConfigMap into each namespace where it runs a
   * waypoint; absent: the ConfigMap is expected to be there already.
   */
  waypointCaFile?: string;
  /** Prometheus that MetricTemplates of type prometheus use when they name no address. */
  prometheusAddress?: string;
  /** How often mounted files (serving certificate, waypoint CA bundle) are checked for changes. */
  filePollIntervalMs: number;
}

export class UsageError extends Error {}

interface FlagSpec {
  env?: string;
  kind: 'string' | 'boolean' | 'duration' | 'port' | 'list';
  help: string;
}

const FLAGS: Record<string, FlagSpec> = {
  kubeconfig: { env: 'KUBECONFIG', kind: 'string', help: 'kubeconfig file (default: in-cluster config)' },
  namespace: { env: 'SLUICE_WATCH_NAMESPACE', kind: 'string', help: 'namespace to watch (default: all namespaces)' },
  'admin-host': { env: 'SLUICE_ADMIN_HOST', kind: 'string', help: 'address of /healthz, /readyz, /metrics (default 0.0.0.0)' },
  'admin-port': { env: 'SLUICE_ADMIN_PORT', kind: 'port', help: 'port of /healthz, /readyz, /metrics (default 8080)' },
  'config-host': { env: 'SLUICE_CONFIG_HOST', kind: 'string', help: 'address of the proxy config server (default 0.0.0.0)' },
  'config-port': { env: 'SLUICE_CONFIG_PORT', kind: 'port', help: 'port of the proxy config server (default 15012)' },
  'tls-cert-file': { env: 'SLUICE_TLS_CERT_FILE', kind: 'string', help: 'PEM certificate of the config server' },
  'tls-key-file': { env: 'SLUICE_TLS_KEY_FILE', kind: 'string', help: 'PEM private key of the config server' },
  'insecure-plaintext': { env: 'SLUICE_INSECURE_PLAINTEXT', kind: 'boolean', help: 'serve the config server over plain HTTP (development only)' },
  'token-audience': { env: 'SLUICE_TOKEN_AUDIENCES', kind: 'list', help: 'audiences proxy tokens must be valid for (comma-separated)' },
  'proxy-service-accounts': { env: 'SLUICE_PROXY_SERVICE_ACCOUNTS', kind: 'list', help: 'ServiceAccounts allowed to fetch proxy config (default: any)' },
  'config-debounce': { env: 'SLUICE_CONFIG_DEBOUNCE', kind: 'duration', help: 'quiet time before pushing a new snapshot (default 50ms)' },
  'leader-elect': { env: 'SLUICE_LEADER_ELECT', kind: 'boolean', help: 'run leader election (default true)' },
  'leader-election-id': { env: 'SLUICE_LEADER_ELECTION_ID', kind: 'string', help: 'name of the Lease (default sluice-operator)' },
  'leader-election-namespace': { env: 'SLUICE_LEADER_ELECTION_NAMESPACE', kind: 'string', help: 'namespace of the Lease (default: own namespace)' },
  'lease-duration': { env: 'SLUICE_LEASE_DURATION', kind: 'duration', help: 'leader lease duration (default 14s)' },
  'renew-deadline': { env: 'SLUICE_RENEW_DEADLINE', kind: 'duration', help: 'leader gives up after failing to renew this long (default 10s)' },
  'retry-period': { env: 'SLUICE_RETRY_PERIOD', kind: 'duration', help: 'leader election retry period (default 2s)' },
  identity: { env: 'POD_NAME', kind: 'string', help: 'identity in leader election and Events (default: host_pid)' },
  'leader-pod-label': {
    env: 'SLUICE_LEADER_POD_LABEL',
    kind: 'boolean',
    help: 'label this pod sluice.dev/leader=true while it leads, for the config Service to select (default false)',
  },
  'pod-name': { env: 'POD_NAME', kind: 'string', help: "this process's pod, for --leader-pod-label" },
  'pod-namespace': { env: 'POD_NAMESPACE', kind: 'string', help: "this process's namespace, for --leader-pod-label (default: own namespace)" },
  'log-level': { env: 'SLUICE_LOG_LEVEL', kind: 'string', help: 'trace, debug, info, warn, error (default info)' },
  'endpoint-address-map': { env: 'SLUICE_ENDPOINT_ADDRESS_MAP', kind: 'list', help: 'rewrite endpoint addresses FROM_CIDR=TO_CIDR (local simulation only)' },
  'waypoint-image': { env: 'SLUICE_WAYPOINT_IMAGE', kind: 'string', help: 'proxy image of the waypoints (default: run no waypoints)' },
  'waypoint-replicas': { env: 'SLUICE_WAYPOINT_REPLICAS', kind: 'string', help: 'proxies per waypoint (default 2)' },
  'waypoint-image-pull-policy': { env: 'SLUICE_WAYPOINT_IMAGE_PULL_POLICY', kind: 'string', help: 'Always, IfNotPresent or Never (default IfNotPresent)' },
  'waypoint-image-pull-secrets': { env: 'SLUICE_WAYPOINT_IMAGE_PULL_SECRETS', kind: 'list', help: 'Secrets for the waypoint image, comma-separated; they must exist in each waypoint namespace' },
  'waypoint-resources': {
    env: 'SLUICE_WAYPOINT_RESOURCES',
    kind: 'string',
    help: 'JSON requests/limits of the proxy container (default {"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"memory":"256Mi"}})',
  },
  'waypoint-node-selector': { env: 'SLUICE_WAYPOINT_NODE_SELECTOR', kind: 'string', help: 'JSON node selector of waypoint pods, e.g. {"kubernetes.io/os":"linux"}' },
  'waypoint-tolerations': { env: 'SLUICE_WAYPOINT_TOLERATIONS', kind: 'string', help: 'JSON list of tolerations of waypoint pods' },
  'waypoint-config-server-url': { env: 'SLUICE_WAYPOINT_CONFIG_SERVER_URL', kind: 'string', help: 'config server URL as waypoints reach it (default https://sluice-operator.sluice-system.svc:15012)' },
  'waypoint-config-server-name': {
    env: 'SLUICE_WAYPOINT_CONFIG_SERVER_NAME',
    kind: 'string',
    help: "DNS name waypoints verify the config server's certificate against (default: the URL's host; https only)",
  },
  'waypoint-ca-configmap': { env: 'SLUICE_WAYPOINT_CA_CONFIGMAP', kind: 'string', help: 'ConfigMap with ca.crt of the config server certificate, mounted by waypoints' },
  'waypoint-ca-file': {
    env: 'SLUICE_WAYPOINT_CA_FILE',
    kind: 'string',
    help: 'PEM CA bundle the operator applies as --waypoint-ca-configmap into every waypoint namespace (default: the ConfigMap is provided by others)',
  },
  'prometheus-address': { env: 'SLUICE_PROMETHEUS_ADDRESS', kind: 'string', help: 'Prometheus for MetricTemplates that name no address' },
  'file-poll-interval': {
    env: 'SLUICE_FILE_POLL_INTERVAL',
    kind: 'duration',
    help: 'how often the serving certificate and the waypoint CA bundle files are checked for changes (default 30s)',
  },
};

export function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, spec]) => {
    const flag = spec.kind === 'boolean' ? `--${name} / --no-${name}` : `--${name}=VALUE`;
    return `  ${flag.padEnd(44)} ${spec.help}${spec.env ? ` [$${spec.env}]` : ''}`;
  });
  return `Usage: sluice-operator [flags]\n${lines.join('\n')}\n`;
}

/** "250ms", "14s", "2m", "1h" or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match?.[1]) throw new UsageError(`invalid duration ${JSON.stringify(text)} (use e.g. 500ms, 14s, 2m)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms'] ?? 1;
  return Math.round(Number(match[1]) * factor);
}

export interface Environment {
  env: Record<string, string | undefined>;
  /** Namespace of the pod, read from the ServiceAccount mount when in a cluster. */
  podNamespace?: string;
  pid: number;
  hostname: string;
}

// RFC 1123 subdomain: what a certificate's DNS name can be, and what sluice-proxy accepts.
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** What every waypoint would refuse at start is refused here, once, naming the flag. */
function validateWaypointConfigServer(options: OperatorOptions): void {
  let url: URL;
  try {
    url = new URL(options.waypointConfigServerUrl);
  } catch {
    throw new UsageError(`--waypoint-config-server-url: ${JSON.stringify(options.waypointConfigServerUrl)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`--waypoint-config-server-url: the scheme must be https or http, got ${JSON.stringify(url.protocol.replace(/:$/, ''))}`);
  }
  if (options.waypointCaFile !== undefined && options.waypointCaConfigMap === undefined) {
    throw new UsageError('--waypoint-ca-file needs --waypoint-ca-configmap: the name of the ConfigMap to put the bundle in');
  }
  if (options.waypointCaConfigMap !== undefined && !DNS_NAME.test(options.waypointCaConfigMap)) {
    throw new UsageError(`--waypoint-ca-configmap: ${JSON.stringify(options.waypointCaConfigMap)} is not a valid ConfigMap name`);
  }
  const name = options.waypointConfigServerName;
  if (name === undefined) return;
  if (!DNS_NAME.test(name)) throw new UsageError(`--waypoint-config-server-name: ${JSON.stringify(name)} is not a DNS name`);
  if (url.protocol !== 'https:') throw new UsageError('--waypoint-config-server-name needs an https --waypoint-config-server-url: plain HTTP verifies no certificate');
}

export function parseOperatorOptions(argv: readonly string[], environment: Environment): OperatorOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined && name.startsWith('no-') && FLAGS[name.slice(3)]?.kind === 'boolean') {
      name = name.slice(3);
      value = 'false';
    }
    const spec = FLAGS[name];
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (value === undefined) {
      if (spec.kind === 'boolean') value = 'true';
      else {
        value = argv[++i];
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
      }
    }
    values.set(name, value);
  }
  const raw = (name: string): string | undefined => {
    const spec = FLAGS[name];
    return values.get(name) ?? (spec?.env ? environment.env[spec.env] || undefined : undefined);
  };
  const str = (name: string, fallback: string): string => raw(name) ?? fallback;
  const bool = (name: string, fallback: boolean): boolean => {
    const v = raw(name);
    if (v === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    throw new UsageError(`--${name}: expected true or false, got ${JSON.stringify(v)}`);
  };
  const duration = (name: string, fallback: number): number => {
    const v = raw(name);
    return v === undefined ? fallback : parseDuration(v);
  };
  const port = (name: string, fallback: number): number => {
    const v = raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name}: invalid port ${JSON.stringify(v)}`);
    return n;
  };
  const count = (name: string, fallback: number): number => {
    const v = raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError(`--${name}: expected a whole number from 1 to 100, got ${JSON.stringify(v)}`);
    return n;
  };
  const pullPolicy = (value: string | undefined): OperatorOptions['waypointImagePullPolicy'] => {
    if (value === undefined) return undefined;
    if (value === 'Always' || value === 'IfNotPresent' || value === 'Never') return value;
    throw new UsageError(`--waypoint-image-pull-policy: must be Always, IfNotPresent or Never, got ${JSON.stringify(value)}`);
  };
  const settingOf = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      if (err instanceof WaypointSettingError) throw new UsageError(err.message);
      throw err;
    }
  };
  const optional = <T>(name: string, parse: (text: string, field: string) => T): T | undefined => {
    const v = raw(name);
    return v === undefined ? undefined : settingOf(() => parse(v, `--${name}`));
  };
  const list = (name: string): string[] =>
    (raw(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);

  const options: OperatorOptions = {
    kubeconfig: raw('kubeconfig'),
    watchNamespace: str('namespace', ''),
    adminHost: str('admin-host', '0.0.0.0'),
    adminPort: port('admin-port', 8080),
    configHost: str('config-host', '0.0.0.0'),
    configPort: port('config-port', 15012),
    tlsCertFile: raw('tls-cert-file'),
    tlsKeyFile: raw('tls-key-file'),
    insecurePlaintext: bool('insecure-plaintext', false),
    tokenAudiences: list('token-audience'),
    proxyServiceAccounts: list('proxy-service-accounts'),
    configDebounceMs: duration('config-debounce', 50),
    leaderElect: bool('leader-elect', true),
    leaderElectionId: str('leader-election-id', 'sluice-operator'),
    leaderElectionNamespace: str('leader-election-namespace', environment.podNamespace ?? environment.env.POD_NAMESPACE ?? 'default'),
    leaseDurationMs: duration('lease-duration', 14_000),
    renewDeadlineMs: duration('renew-deadline', 10_000),
    retryPeriodMs: duration('retry-period', 2_000),
    identity: str('identity', `${environment.hostname}_${environment.pid}`),
    leaderPodLabel: bool('leader-pod-label', false),
    podName: raw('pod-name'),
    podNamespace: raw('pod-namespace') ?? environment.podNamespace,
    logLevel: str('log-level', 'info'),
    endpointAddressMap: list('endpoint-address-map'),
    waypointImage: raw('waypoint-image'),
    waypointReplicas: count('waypoint-replicas', 2),
    waypointImagePullPolicy: pullPolicy(raw('waypoint-image-pull-policy')),
    waypointImagePullSecrets: settingOf(() => checkPullSecretNames(list('waypoint-image-pull-secrets'))),
    waypointResources: optional('waypoint-resources', parseWaypointResources),
    waypointNodeSelector: optional('waypoint-node-selector', parseNodeSelector),
    waypointTolerations: optional('waypoint-tolerations', parseTolerations),
    waypointConfigServerUrl: str('waypoint-config-server-url', 'https://sluice-operator.sluice-system.svc:15012'),
    waypointConfigServerName: raw('waypoint-config-server-name'),
    waypointCaConfigMap: raw('waypoint-ca-configmap'),
    waypointCaFile: raw('waypoint-ca-file'),
    prometheusAddress: raw('prometheus-address'),
    filePollIntervalMs: duration('file-poll-interval', 30_000),
  };
  for (const mapping of options.endpointAddressMap) {
    try {
      parseAddressMapping(mapping);
    } catch (err) {
      throw new UsageError(`--endpoint-address-map: ${(err as Error).message}`);
    }
  }
  validateWaypointConfigServer(options);
  if (options.leaderPodLabel && !options.podName) throw new UsageError('--leader-pod-label needs --pod-name (in a pod: POD_NAME from the downward API)');
  if (options.leaderPodLabel && !options.podNamespace) throw new UsageError('--leader-pod-label needs --pod-namespace (in a pod: POD_NAMESPACE from the downward API)');
  if (options.filePollIntervalMs < 100) throw new UsageError(`--file-poll-interval: at least 100ms, got ${options.filePollIntervalMs}ms`);
  if (!options.insecurePlaintext && (!options.tlsCertFile || !options.tlsKeyFile)) {
    throw new UsageError('the config server needs --tls-cert-file and --tls-key-file (or --insecure-plaintext for local use)');
  }
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(options.logLevel)) {
    throw new UsageError(`--log-level: unknown level ${JSON.stringify(options.logLevel)}`);
  }
  return options;
}
