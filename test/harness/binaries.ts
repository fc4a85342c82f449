// Where the test environment's binaries live. Versions come from test/env/versions.sh, the
// one place they are pinned, so the builder script and the harness never disagree.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
  helm: string;
  prometheus: string;
}

export function pinnedVersions(): PinnedVersions {
  const text = readFileSync(join(repoRoot, 'test/env/versions.sh'), 'utf8');
  const read = (name: string): string => {
    const match = new RegExp(`^${name}=(\\S+)`, 'm').exec(text);
    if (!match?.[1]) throw new Error(`test/env/versions.sh does not set ${name}`);
    return match[1];
  };
  return {
    kubernetes: read('KUBERNETES_VERSION'),
    etcd: read('ETCD_VERSION'),
    kwok: read('KWOK_VERSION'),
    helm: read('HELM_VERSION'),
    prometheus: read('PROMETHEUS_VERSION'),
  };
}

export function cacheDir(): string {
  return resolve(process.env.SLUICE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice'));
}

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok' | 'helm';

export function binaryPath(component: Component): string {
  const versions = pinnedVersions();
  const slot: Record<Component, string> = {
    etcd: `etcd-${versions.etcd}`,
    'kube-apiserver': `kubernetes-${versions.kubernetes}`,
    'kube-controller-manager': `kubernetes-${versions.kubernetes}`,
    'kube-scheduler': `kubernetes-${versions.kubernetes}`,
    kwok: `kwok-${versions.kwok}`,
    helm: `helm-${versions.helm}`,
  };
  const path = join(cacheDir(), 'bin', slot[component], component);
  if (!existsSync(path)) {
    throw new Error(`${component} is not built yet (${path} is missing): run \`npm run testenv:setup\` first`);
  }
  return path;
}

/**
 * Debian's Prometheus, used as a plain binary the harness starts itself; with
 * `kubernetesDiscovery`, the one built from its Go module with Kubernetes service discovery,
 * which Debian's package leaves out.
 */
export function prometheusPath(options: { kubernetesDiscovery?: boolean } = {}): string {
  const path = options.kubernetesDiscovery
    ? (process.env.SLUICE_PROMETHEUS_K8S ?? join(cacheDir(), 'bin', `prometheus-${pinnedVersions().prometheus}`, 'prometheus'))
    : (process.env.SLUICE_PROMETHEUS ?? '/usr/bin/prometheus');
  if (!existsSync(path)) throw new Error(`prometheus not found at ${path}: run \`npm run testenv:setup\` first`);
  return path;
}
