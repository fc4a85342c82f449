#!/usr/bin/env node
// `sluice-proxy`: runs one Sluice proxy. Flags override environment variables.
import { hostname } from 'node:os';
import { pino } from 'pino';
import { ControlPlaneConfigSource } from './control-plane-client.js';
import { FileConfigSource } from './file-config-source.js';
import { parseProxyOptions, ProxyUsageError, USAGE, type ProxyOptions } from './proxy-options.js';
import { ProxyServer } from './proxy-server.js';
import type { ConfigSource } from './config-source.js';

function fail(message: string): never {
  process.stderr.write(`sluice-proxy: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let options: ProxyOptions;
  try {
    options = parseProxyOptions(process.argv.slice(2), { env: process.env, hostname: hostname(), pid: process.pid });
  } catch (err) {
    if (err instanceof ProxyUsageError) fail(err.message);
    throw err;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const logger = pino({ level: options.logLevel, base: { component: 'sluice-proxy' } });
  const proxy = new ProxyServer({
    bindAddress: options.bindAddress,
    adminPort: options.adminPort,
    proxyId: options.proxyId,
    logger,
    accessLog: options.accessLog,
    collectProcessMetrics: true,
    drainTimeoutMs: options.drainTimeoutMs,
  });
  const { source: from } = options;
  const source: ConfigSource =
    from.kind === 'file'
      ? new FileConfigSource(from.path, logger)
      : new ControlPlaneConfigSource({
          url: from.url,
          proxyId: options.proxyId,
          tokenFile: from.tokenFile,
          caFile: from.caFile,
          serverName: from.serverName,
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
