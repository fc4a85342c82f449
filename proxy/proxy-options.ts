// Command-line flags and environment variables of the `sluice-proxy` executable. Flags win over
// environment variables, which win over defaults; empty variables count as unset. Pure:
// main.ts passes argv and env in and turns a ProxyUsageError into exit code 2.
import { parseArgs } from 'node:util';

export const USAGE = `Usage: sluice-proxy (--config-file <path> | --control-plane-url <url>) [options]

  --config-file <path>     YAML or JSON snapshot, watched and reloaded   (SLUICE_CONFIG_FILE)
  --control-plane-url <url>  the operator's config server, e.g. https://sluice-operator.sluice-system.svc:15012
                           (SLUICE_CONTROL_PLANE_URL)
  --token-file <path>      ServiceAccount token for the control plane     (SLUICE_TOKEN_FILE,
                           default /var/run/secrets/kubernetes.io/serviceaccount/token)
  --control-plane-ca-file <path>  CA bundle that signed the config server's certificate (SLUICE_CONTROL_PLANE_CA_FILE)
  --control-plane-server-name <name>  DNS name the config server's certificate must be valid for, when
                           the URL reaches it by another name or by address (SLUICE_CONTROL_PLANE_SERVER_NAME,
                           default: the URL's host). https URLs only.
  --admin-port <port>      health, readiness, /metrics, /config, /stats  (SLUICE_ADMIN_PORT, default 15000)
  --bind-address <addr>    address of traffic and admin listeners         (SLUICE_BIND_ADDRESS, default 0.0.0.0)
  --log-level <level>      trace, debug, info, warn, error, fatal, silent (SLUICE_LOG_LEVEL, default info)
  --access-log             log one line per request                       (SLUICE_ACCESS_LOG=true)
  --proxy-id <id>          identity in live stats reports                 (SLUICE_PROXY_ID, default $POD_NAME or host:pid)
  --drain-timeout <ms>     how long shutdown waits for requests in flight (SLUICE_DRAIN_TIMEOUT_MS, default 10000)
  --help
`;

export class ProxyUsageError extends Error {}

export type ProxySource =
  | { kind: 'file'; path: string }
  | { kind: 'control-plane'; url: string; tokenFile: string; caFile?: string; serverName?: string };

export interface ProxyOptions {
  help: boolean;
  source: ProxySource;
  adminPort: number;
  bindAddress: string;
  logLevel: string;
  accessLog: boolean;
  proxyId: string;
  drainTimeoutMs: number;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
// RFC 1123 subdomain, as Kubernetes names Services: what a certificate's DNS SAN can match.
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

function integer(value: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n > max) {
    throw new ProxyUsageError(`${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export interface ProxyEnvironment {
  env: Record<string, string | undefined>;
  hostname: string;
  pid: number;
}

export function parseProxyOptions(argv: readonly string[], environment: ProxyEnvironment): ProxyOptions {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        'config-file': { type: 'string' },
        'control-plane-url': { type: 'string' },
        'token-file': { type: 'string' },
        'control-plane-ca-file': { type: 'string' },
        'control-plane-server-name': { type: 'string' },
        'admin-port': { type: 'string' },
        'bind-address': { type: 'string' },
        'log-level': { type: 'string' },
        'access-log': { type: 'boolean' },
        'proxy-id': { type: 'string' },
        'drain-timeout': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ProxyUsageError((err as Error).message);
  }
  const env = environment.env;
  const pick = (flag: string | undefined, variable: string): string | undefined => flag || env[variable] || undefined;
  const common = {
    help: values.help === true,
    adminPort: integer(pick(values['admin-port'], 'SLUICE_ADMIN_PORT') ?? '15000', 'admin port', 65535),
    bindAddress: pick(values['bind-address'], 'SLUICE_BIND_ADDRESS') ?? '0.0.0.0',
    logLevel: pick(values['log-level'], 'SLUICE_LOG_LEVEL') ?? 'info',
    accessLog: values['access-log'] ?? env.SLUICE_ACCESS_LOG === 'true',
    proxyId: pick(values['proxy-id'], 'SLUICE_PROXY_ID') ?? (env.POD_NAME || `${environment.hostname}:${environment.pid}`),
    drainTimeoutMs: integer(pick(values['drain-timeout'], 'SLUICE_DRAIN_TIMEOUT_MS') ?? '10000', 'drain timeout'),
  };
  if (common.help) return { ...common, source: { kind: 'file', path: '' } };
  if (!LOG_LEVELS.includes(common.logLevel)) {
    throw new ProxyUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(common.logLevel)}`);
  }

  const configFile = pick(values['config-file'], 'SLUICE_CONFIG_FILE');
  const url = pick(values['control-plane-url'], 'SLUICE_CONTROL_PLANE_URL');
  const serverName = pick(values['control-plane-server-name'], 'SLUICE_CONTROL_PLANE_SERVER_NAME');
  const caFile = pick(values['control-plane-ca-file'], 'SLUICE_CONTROL_PLANE_CA_FILE');
  if (configFile === undefined && url === undefined) throw new ProxyUsageError('no config source: pass --config-file or --control-plane-url');
  if (configFile !== undefined && url !== undefined) throw new ProxyUsageError('pass either --config-file or --control-plane-url, not both');
  if (configFile !== undefined) {
    if (serverName !== undefined || caFile !== undefined) {
      throw new ProxyUsageError('--control-plane-server-name and --control-plane-ca-file apply to --control-plane-url, not to --config-file');
    }
    return { ...common, source: { kind: 'file', path: configFile } };
  }
  let parsed: URL;
  try {
    parsed = new URL(url ?? '');
  } catch {
    throw new ProxyUsageError(`--control-plane-url: ${JSON.stringify(url)} is not a URL (e.g. https://sluice-operator.sluice-system.svc:15012)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ProxyUsageError(`--control-plane-url: the scheme must be https or http, got ${JSON.stringify(parsed.protocol.replace(/:$/, ''))}`);
  }
  if (serverName !== undefined) {
    // Silently ignored over plain HTTP, the flag would suggest a verification that never happens.
    if (parsed.protocol !== 'https:') throw new ProxyUsageError('--control-plane-server-name needs an https --control-plane-url: plain HTTP verifies no certificate');
    if (!DNS_NAME.test(serverName)) {
      throw new ProxyUsageError(
        `--control-plane-server-name: ${JSON.stringify(serverName)} is not a DNS name (lowercase labels of letters, digits and '-', separated by dots, e.g. sluice-operator.sluice-system.svc)`,
      );
    }
  }
  return {
    ...common,
    source: {
      kind: 'control-plane',
      url: url ?? '',
      tokenFile: pick(values['token-file'], 'SLUICE_TOKEN_FILE') ?? '/var/run/secrets/kubernetes.io/serviceaccount/token',
      ...(caFile === undefined ? {} : { caFile }),
      ...(serverName === undefined ? {} : { serverName }),
    },
  };
}
