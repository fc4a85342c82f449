// What counts as a new revision of a target: its pod template and the contents of the
// ConfigMaps and Secrets that template uses. The hash is canonical (key order, absent vs
// empty values) and its algorithm is versioned by a prefix, so that upgrading the operator
// can never start a rollout nobody asked for.
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { canonicalHash } from '../canonical-json.js';

/** Annotations tools put on templates that say nothing about what runs. */
const IGNORED_TEMPLATE_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

/** Hash of a pod template; labels/annotations Sluice itself manages are left out. */
export function podTemplateHash(template: V1PodTemplateSpec): string {
  const annotations = { ...template.metadata?.annotations };
  for (const key of Object.keys(annotations)) {
    if (IGNORED_TEMPLATE_ANNOTATIONS.includes(key) || key.startsWith('sluice.dev/')) delete annotations[key];
  }
  const labels = { ...template.metadata?.labels };
  for (const key of Object.keys(labels)) if (key.startsWith('sluice.dev/')) delete labels[key];
  return canonicalHash({ metadata: { labels, annotations }, spec: template.spec });
}

export interface ConfigReference {
  kind: 'configmap' | 'secret';
  name: string;
  /** Optional references may be missing without blocking a rollout. */
  optional: boolean;
}

/** ConfigMaps and Secrets the pod template reads: volumes, env, envFrom, projected sources. */
export function referencedConfigs(template: V1PodTemplateSpec): ConfigReference[] {
  const found = new Map<string, ConfigReference>();
  const add = (kind: ConfigReference['kind'], name: string | undefined, optional: boolean | undefined): void => {
    if (!name) return;
    const key = `${kind}/${name}`;
    const previous = found.get(key);
    // Required anywhere means required.
    found.set(key, { kind, name, optional: (previous?.optional ?? true) && optional === true });
  };
  const spec = template.spec;
  for (const volume of spec?.volumes ?? []) {
    add('configmap', volume.configMap?.name, volume.configMap?.optional);
    add('secret', volume.secret?.secretName, volume.secret?.optional);
    for (const source of volume.projected?.sources ?? []) {
      add('configmap', source.configMap?.name, source.configMap?.optional);
      add('secret', source.secret?.name, source.secret?.optional);
    }
  }
  for (const container of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const from of container.envFrom ?? []) {
      add('configmap', from.configMapRef?.name, from.configMapRef?.optional);
      add('secret', from.secretRef?.name, from.secretRef?.optional);
    }
    for (const env of container.env ?? []) {
      add('configmap', env.valueFrom?.configMapKeyRef?.name, env.valueFrom?.configMapKeyRef?.optional);
      add('secret', env.valueFrom?.secretKeyRef?.name, env.valueFrom?.secretKeyRef?.optional);
    }
  }
  return [...found.values()].sort((a, b) => (`${a.kind}/${a.name}` < `${b.kind}/${b.name}` ? -1 : 1));
}

/** Hash of a ConfigMap's or Secret's data (binary and string data alike). */
export function configDataHash(data: { data?: Record<string, string>; binaryData?: Record<string, string> } | undefined): string {
  return canonicalHash({ data: data?.data ?? {}, binaryData: data?.binaryData ?? {} });
}

/**
 * The revision of a target: its template hash combined with the hashes of the configs it
 * uses (keyed `configmap/NAME`, `secret/NAME`; a missing optional one hashes as absent).
 */
export function targetRevision(templateHash: string, configHashes: Record<string, string>): string {
  if (Object.keys(configHashes).length === 0) return templateHash;
  return canonicalHash({ template: templateHash, configs: configHashes });
}
