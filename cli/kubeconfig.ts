// Which cluster, user and namespace a command talks to, decided the way kubectl decides:
// --kubeconfig, else $KUBECONFIG (a list of files, merged), else ~/.kube/config, else the
// Pod's ServiceAccount when running in a cluster; --context, else the current context;
// -n, else the context's namespace, else "default". The choices are pure functions; only
// loadKubeTarget touches the file system.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Globals } from './args.js';
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

export type KubeconfigSource =
  | { kind: 'flag'; path: string }
  | { kind: 'env'; paths: string[] }
  | { kind: 'home'; path: string }
  | { kind: 'in-cluster' }
  | { kind: 'none'; looked: string[] };

export interface SourceFacts {
  flag?: string;
  /** $KUBECONFIG. */
  env?: string;
  home: string;
  fileExists(path: string): boolean;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function kubeconfigSource(facts: SourceFacts): KubeconfigSource {
  if (facts.flag !== undefined && facts.flag !== '') return { kind: 'flag', path: facts.flag };
  const envPaths = (facts.env ?? '').split(delimiter).filter((p) => p !== '');
  if (envPaths.length > 0) return { kind: 'env', paths: envPaths };
  const homeConfig = join(facts.home, '.kube', 'config');
  if (facts.fileExists(homeConfig)) return { kind: 'home', path: homeConfig };
  if (facts.fileExists(SERVICE_ACCOUNT_TOKEN)) return { kind: 'in-cluster' };
  return { kind: 'none', looked: ['--kubeconfig', '$KUBECONFIG', homeConfig, 'in-cluster ServiceAccount'] };
}

export function describeSource(source: KubeconfigSource): string {
  switch (source.kind) {
    case 'flag':
    case 'home':
      return source.path;
    case 'env':
      return `$KUBECONFIG (${source.paths.join(delimiter)})`;
    case 'in-cluster':
      return 'the in-cluster ServiceAccount';
    case 'none':
      return 'no kubeconfig';
  }
}

export interface ContextFacts {
  contexts: readonly { name: string; cluster: string; namespace?: string }[];
  clusters: readonly { name: string; server: string }[];
  current: string;
}

export type ContextChoice = { ok: true; context: string; server: string; namespace: string } | { ok: false; error: string };

export function pickContext(facts: ContextFacts, requested: string | undefined, namespaceFlag: string | undefined, source: string): ContextChoice {
  const names = facts.contexts.map((c) => c.name);
  const available = names.length === 0 ? 'it has none' : `available: ${names.join(', ')}`;
  const name = requested ?? facts.current;
  if (name === '') return { ok: false, error: `the kubeconfig (${source}) has no current context: pass --context (${available})` };
  const context = facts.contexts.find((c) => c.name === name);
  if (context === undefined) {
    return { ok: false, error: `context "${name}" not found in the kubeconfig (${source}); ${available}` };
  }
  const cluster = facts.clusters.find((c) => c.name === context.cluster);
  if (cluster === undefined) return { ok: false, error: `context "${name}" names cluster "${context.cluster}", which is not in the kubeconfig (${source})` };
  const namespace = namespaceFlag ?? (context.namespace !== undefined && context.namespace !== '' ? context.namespace : 'default');
  return { ok: true, context: name, server: cluster.server, namespace };
}

/** A configured client target: what every command that talks to the cluster needs. */
export interface KubeTarget {
  kubeConfig: KubeConfig;
  context: string;
  server: string;
  namespace: string;
}

export function loadKubeTarget(globals: Globals, env: Readonly<Record<string, string | undefined>>): KubeTarget {
  const source = kubeconfigSource({ flag: globals.kubeconfig, env: env.KUBECONFIG, home: env.HOME ?? homedir(), fileExists: existsSync });
  const kc = new KubeConfig();
  try {
    switch (source.kind) {
      case 'flag':
      case 'home':
        kc.loadFromFile(source.path);
        break;
      case 'env':
        // client-node merges the files the way kubectl does (first file wins).
        kc.loadFromDefault();
        break;
      case 'in-cluster':
        kc.loadFromCluster();
        break;
      case 'none':
        throw new CliError(`no kubeconfig found (looked at ${source.looked.join(', ')}): pass --kubeconfig or set KUBECONFIG`, EXIT.usage);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot load the kubeconfig ${describeSource(source)}: ${err instanceof Error ? err.message : String(err)}`, EXIT.usage);
  }
  const choice = pickContext(
    {
      contexts: kc.getContexts().map((c) => ({ name: c.name, cluster: c.cluster, namespace: c.namespace })),
      clusters: kc.getClusters().map((c) => ({ name: c.name, server: c.server })),
      current: kc.getCurrentContext() ?? '',
    },
    globals.context,
    globals.namespace,
    describeSource(source),
  );
  if (!choice.ok) throw new CliError(choice.error, EXIT.usage);
  kc.setCurrentContext(choice.context);
  return { kubeConfig: kc, context: choice.context, server: choice.server, namespace: choice.namespace };
}
