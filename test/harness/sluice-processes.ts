// Sluice's own executables as the tests run them: the operator (from dist/) against the test
// control plane, and a waypoint proxy authenticated with a real ServiceAccount token from the
// TokenRequest API. Both are ManagedProcesses, so they stop cleanly and leave logs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { POD_ADDRESS_MAPPING, freePort } from './control-plane.js';
import { kubeConfig, kubeconfigPath, repoRoot } from './index.js';
import { ManagedProcess } from './managed-process.js';

export interface OperatorProcessOptions {
  name?: string;
  /** Namespace the operator watches. */
  namespace: string;
  configPort: number;
  /** Directory for the log file. */
  dir: string;
  extraArgs?: string[];
}

/** A sluice-operator (no leader election, plain-HTTP config server on loopback, pod addresses mapped to loopback). */
export function startOperatorProcess(options: OperatorProcessOptions): ManagedProcess {
  const name = options.name ?? 'operator';
  return new ManagedProcess({
    name,
    command: process.execPath,
    args: [
      join(repoRoot, 'dist/operator/main.js'),
      `--kubeconfig=${kubeconfigPath()}`,
      `--namespace=${options.namespace}`,
      '--no-leader-elect',
      '--insecure-plaintext',
      '--config-host=127.0.0.1',
      `--config-port=${options.configPort}`,
      '--admin-host=127.0.0.1',
      '--admin-port=0',
      `--endpoint-address-map=${POD_ADDRESS_MAPPING}`,
      '--config-debounce=20ms',
      ...(options.extraArgs ?? []),
    ],
    logFile: join(options.dir, `${name}.log`),
  });
}

export interface ProxyProcessOptions {
  namespace: string;
  configPort: number;
  /** Loopback address the proxy's listeners bind to. */
  bindAddress: string;
  dir: string;
  proxyId?: string;
  serviceAccount?: string;
}

/** Creates the waypoint ServiceAccount (if needed), gets it a token and starts a sluice-proxy with it. */
export async function startProxyProcess(options: ProxyProcessOptions): Promise<{ proxy: ManagedProcess; adminPort: number }> {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const serviceAccount = options.serviceAccount ?? 'sluice-waypoint';
  try {
    await core.createNamespacedServiceAccount({ namespace: options.namespace, body: { metadata: { name: serviceAccount } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
  const token = await core.createNamespacedServiceAccountToken({ name: serviceAccount, namespace: options.namespace, body: { spec: { audiences: [] } } });
  const tokenFile = join(options.dir, `${serviceAccount}.token`);
  writeFileSync(tokenFile, token.status?.token ?? '', { mode: 0o600 });
  const adminPort = await freePort();
  const proxyId = options.proxyId ?? 'waypoint-0';
  const proxy = new ManagedProcess({
    name: `sluice-proxy-${proxyId}`,
    command: process.execPath,
    args: [
      join(repoRoot, 'dist/proxy/main.js'),
      `--control-plane-url=http://127.0.0.1:${options.configPort}`,
      `--token-file=${tokenFile}`,
      `--admin-port=${adminPort}`,
      `--bind-address=${options.bindAddress}`,
      `--proxy-id=${proxyId}`,
    ],
    logFile: join(options.dir, `proxy-${proxyId}.log`),
  });
  return { proxy, adminPort };
}
