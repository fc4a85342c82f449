#!/usr/bin/env node
// The `sluice-operator` executable: loads the cluster credentials, starts the admin endpoint,
// the shared informers, leader election, the controllers (on the leader) and the proxies'
// config server (serving on the leader), and shuts all of it down cleanly on SIGTERM, releasing
// the lease so that a standby takes over at once.
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConfigServer, type TlsMaterial } from './config-server/config-server.js';
import { LeaderPodLabel } from './config-server/leader-pod-label.js';
import { TokenReviewAuthenticator } from './config-server/token-authenticator.js';
import { controllers } from './controllers.js';
import { CaBundleError } from './meshroute/waypoint-ca.js';
import { AdminServer } from './runtime/admin-server.js';
import { describeError } from './runtime/kube-errors.js';
import { Manager } from './runtime/manager.js';
import { parseOperatorOptions, usage, UsageError, type OperatorOptions } from './runtime/operator-options.js';

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function podNamespace(): string | undefined {
  try {
    return readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function loadKubeConfig(options: OperatorOptions): KubeConfig {
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else if (process.env.KUBERNETES_SERVICE_HOST) config.loadFromCluster();
  else config.loadFromDefault();
  return config;
}

function readTls(options: OperatorOptions): TlsMaterial | undefined {
  if (options.insecurePlaintext || !options.tlsCertFile || !options.tlsKeyFile) return undefined;
  return { cert: readFileSync(options.tlsCertFile), key: readFileSync(options.tlsKeyFile) };
}

/** Reloads the serving certificate when its files change (cert-manager or a Secret update rotates them). */
function watchCertificate(options: OperatorOptions, server: ConfigServer, log: Logger): NodeJS.Timeout | undefined {
  const { tlsCertFile, tlsKeyFile } = options;
  if (!tlsCertFile || !tlsKeyFile || options.insecurePlaintext) return undefined;
  const stamp = (): string => `${statSync(tlsCertFile).mtimeMs}:${statSync(tlsKeyFile).mtimeMs}`;
  let last = stamp();
  const timer = setInterval(() => {
    try {
      const now = stamp();
      if (now === last) return;
      server.setTlsCertificate({ cert: readFileSync(tlsCertFile), key: readFileSync(tlsKeyFile) });
      last = now;
      log.info('reloaded the config server certificate');
    } catch (err) {
      log.error({ reason: describeError(err) }, 'cannot reload the config server certificate');
    }
  }, options.filePollIntervalMs);
  timer.unref();
  return timer;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage());
    return;
  }
  let options: OperatorOptions;
  try {
    options = parseOperatorOptions(process.argv.slice(2), { env: process.env, podNamespace: podNamespace(), pid: process.pid, hostname: hostname() });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`sluice-operator: ${err.message}\n\n${usage()}`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: options.logLevel, base: { identity: options.identity } });
  const kubeConfig = loadKubeConfig(options);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const manager = new Manager({
    kubeConfig,
    log,
    registry,
    identity: options.identity,
    watchNamespace: options.watchNamespace,
    leaderElection: options.leaderElect
      ? {
          namespace: options.leaderElectionNamespace,
          name: options.leaderElectionId,
          leaseDurationMs: options.leaseDurationMs,
          renewDeadlineMs: options.renewDeadlineMs,
          retryPeriodMs: options.retryPeriodMs,
        }
      : undefined,
  });
  const configServer = new ConfigServer({
    authenticator: new TokenReviewAuthenticator({ kubeConfig, audiences: options.tokenAudiences, log }),
    log,
    registry,
    host: options.configHost,
    port: options.configPort,
    tls: readTls(options),
    plaintext: options.insecurePlaintext,
    debounceMs: options.configDebounceMs,
    allowedServiceAccounts: options.proxyServiceAccounts,
    // Only the leader knows every proxy's ACKs, so only the leader serves streams.
    serving: false,
  });
  manager.addLeaderHooks({
    onStartedLeading: () => configServer.setServing(true),
    onStoppedLeading: () => configServer.setServing(false),
  });
  // Registered after the config server: the label goes on once it serves, and comes off
  // (hooks stop in reverse) before it stops serving.
  const leaderLabel =
    options.leaderPodLabel && options.podName && options.podNamespace
      ? new LeaderPodLabel({ kubeConfig, namespace: options.podNamespace, pod: options.podName, log, registry })
      : undefined;
  if (leaderLabel) {
    manager.addLeaderHooks({
      onStartedLeading: () => leaderLabel.setLeading(true),
      onStoppedLeading: () => leaderLabel.setLeading(false),
    });
  }
  try {
    for (const register of controllers) register({ manager, configServer, kubeConfig, registry, log, options });
  } catch (err) {
    // A configured file that cannot be used is a configuration error, like a bad flag.
    if (err instanceof CaBundleError) {
      process.stderr.write(`sluice-operator: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  const admin = new AdminServer({ host: options.adminHost, port: options.adminPort, registry, log });
  admin.addReadinessCheck('informers', () => manager.readiness());

  const adminPort = await admin.listen();
  const configPort = await configServer.listen();
  const certWatch = watchCertificate(options, configServer, log);
  leaderLabel?.start();
  await manager.start();
  log.info({ adminPort, configPort, watchNamespace: options.watchNamespace || '(all)', leaderElection: options.leaderElect }, 'sluice-operator started');

  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    deadline.unref();
    clearInterval(certWatch);
    await manager.stop();
    await leaderLabel?.stop();
    await configServer.close();
    await admin.close();
    log.info('stopped');
    log.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sluice-operator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
