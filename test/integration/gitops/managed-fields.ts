// Reading server-side apply's field ownership: the managedFields entries of one manager, and
// the fields they own as readable paths ("spec.replicas",
// "spec.template.spec.containers[name=app].image", "metadata.finalizers[="sluice.dev/canary"]").
import type { KubernetesObject, V1ManagedFieldsEntry } from '@kubernetes/client-node';

export function managersOf(obj: KubernetesObject, manager: string): V1ManagedFieldsEntry[] {
  return (obj.metadata?.managedFields ?? []).filter((entry) => entry.manager === manager);
}

/** One step of a fieldsV1 key: f:name (field), k:{...} (list item by key), v:json (set member), i:n (index). */
function segment(key: string): string {
  const kind = key.slice(0, 2);
  const rest = key.slice(2);
  switch (kind) {
    case 'f:':
      return `.${rest}`;
    case 'k:': {
      const fields = JSON.parse(rest) as Record<string, unknown>;
      return `[${Object.entries(fields)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',')}]`;
    }
    case 'v:':
      return `[=${rest}]`;
    case 'i:':
      return `[${rest}]`;
    default:
      throw new Error(`unknown fieldsV1 key ${JSON.stringify(key)}`);
  }
}

function walk(node: Record<string, unknown>, prefix: string, out: Set<string>): void {
  const keys = Object.keys(node);
  // "." marks the node itself as owned; an empty node is an owned leaf.
  if (keys.length === 0 || keys.includes('.')) out.add(prefix);
  for (const key of keys) {
    if (key === '.') continue;
    walk(node[key] as Record<string, unknown>, `${prefix}${segment(key)}`, out);
  }
}

/** Every field the entries own, sorted, without the leading dot. */
export function fieldPaths(entries: readonly V1ManagedFieldsEntry[]): string[] {
  const out = new Set<string>();
  for (const entry of entries) walk((entry.fieldsV1 ?? {}) as Record<string, unknown>, '', out);
  out.delete('');
  return [...out].map((p) => p.replace(/^\./, '')).sort();
}
