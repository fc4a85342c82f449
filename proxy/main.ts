#!/usr/bin/env node
// `sluice-proxy`: runs one Sluice proxy. Flags override environment variables.
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { ControlPlaneConfigSource } from './control-plane-client.js';
import { FileConfigSource } from './file-config-source.js';
import { ProxyServer } from './proxy-server.js';
import type { ConfigSource } from './config-source.js';

const USAGE = `Usage: sluice-proxy (--config-file <path> | --control-plane-url <url>) [options]

  --config-file <path>     YAML or JSON snapshot, watched and reloaded   (SLUICE_CONFIG_FILE)
  --control-plane-url <url>  the operator's config server, e.g. https://sluice-operator.sluice-system.svc:15012
                           (SLUICE_CONTROL_PLANE_URL)
  --token-file <path>      ServiceAccount token for the control plane     (SLUICE_TOKEN_FILE,
                           default /var/run/secrets/kubernetes.io/serviceaccount/token)
  --control-plane-ca-file <path>  CA bundle that signed the config server's certificate (SLUICE_CONTROL_PLANE_CA_FILE)
  --admin-port <port>      health, readiness, /metrics, /config, /stats  (SLUICE_ADMIN_PORT, default 15000)
  --bind-address <addr>    address of traffic and admin listeners         (SLUICE_BIND_ADDRESS, default 0.0.0.0)
  --log-level <level>      trace, debug, info, warn, error, fatal, silent (SLUICE_LOG_LEVEL, default info)
  --access-log             log one line per request                       (SLUICE_ACCESS_LOG=true)
  --proxy-id <id>          identity in live stats reports                 (SLUICE_PROXY_ID, default $POD_NAME or host:pid)
  --drain-timeout <ms>     how long shutdown waits for requests in flight (SLUICE_DRAIN_TIMEOUT_MS, default 10000)
  --help
`;

function fail(message: string): never {
  process.stderr.write(`sluice-proxy: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function integer(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        'config-file': { type: 'string' },
        'control-plane-url': { type: 'string' },
        'token-file': { type: 'string' },
        'control-plane-ca-file': { type: 'string' },
        'admin-port': { type: 'string' },
        'bind-address': { type: 'string' },
        'log-level': { type: 'string' },
        'access-log': { type: 'boolean' },
        'proxy-id': { type: 'string' },
        'drain-timeout': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const flags = parsed.values;
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  const env = process.env;
  // Empty variables count as unset, as in most shells' intent.
  const configFile = flags['config-file'] || env.SLUICE_CONFIG_FILE || undefined;
  const controlPlaneUrl = flags['control-plane-url'] || env.SLUICE_CONTROL_PLANE_URL || undefined;
  if (configFile === undefined && controlPlaneUrl === undefined) fail('no config source: pass --config-file or --control-plane-url');
  if (configFile !== undefined && controlPlaneUrl !== undefined) fail('pass either --config-file or --control-plane-url, not both');
  const logger = pino({ level: flags['log-level'] ?? env.SLUICE_LOG_LEVEL ?? 'info', base: { component: 'sluice-proxy' } });
  const proxyId = flags['proxy-id'] ?? env.SLUICE_PROXY_ID ?? env.POD_NAME ?? `${hostname()}:${process.pid}`;
  const proxy = new ProxyServer({
    bindAddress: flags['bind-address'] ?? env.SLUICE_BIND_ADDRESS ?? '0.0.0.0',
    adminPort: integer(flags['admin-port'] ?? env.SLUICE_ADMIN_PORT ?? '15000', 'admin port'),
    proxyId,
    logger,
    accessLog: flags['access-log'] ?? env.SLUICE_ACCESS_LOG === 'true',
    collectProcessMetrics: true,
    drainTimeoutMs: integer(flags['drain-timeout'] ?? env.SLUICE_DRAIN_TIMEOUT_MS ?? '10000', 'drain timeout'),
  });
  const source: ConfigSource =
    configFile !== undefined
      ? new FileConfigSource(configFile, logger)
      : new ControlPlaneConfigSource({
          url: controlPlaneUrl ?? '',
          proxyId,
          tokenFile: flags['token-file'] || env.SLUICE_TOKEN_FILE || '/var/run/secrets/kubernetes.io/serviceaccount/token',
          caFile: flags['control-plane-ca-file'] || env.SLUICE_CONTROL_PLANE_CA_FILE || undefined,
          stats: () => proxy.statsReport(),
          log: logger.child({ component: 'control-plane-client' }),
        });

  let shuttingDown = false;
  const shutdown = (signal: string): void => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    void source
      .stop()
      .then(() => proxy.stop())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await proxy.start();
  logger.info({ source: source.description, adminPort: proxy.adminPort }, 'sluice-proxy started');
  await source.start(proxy);
}

main().catch((err: unknown) => {
  process.stderr.write(`sluice-proxy: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
