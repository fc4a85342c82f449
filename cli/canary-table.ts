// The `get` table. Its columns are the Canary CRD's additionalPrinterColumns (one source of
// truth: `kubectl get canaries` and `kubectl sluice get` show the same things), with
// CamelCase names split into words and dates shown as ages.
import { KIND_DEFINITIONS, type PrinterColumn } from '../crds/definitions.js';
import type { Canary } from '../crds/index.js';
import { age } from './age.js';
import { formatTable } from './table.js';

function canaryColumns(): readonly PrinterColumn[] {
  const def = KIND_DEFINITIONS.find((d) => d.meta.kind === 'Canary');
  if (def === undefined) throw new Error('no Canary kind definition');
  return def.printerColumns;
}

/** "LastTransition" -> "LAST TRANSITION". */
export function columnHeader(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase();
}

/** Reads a printer column's JSONPath. Only dotted paths: that is all the Canary columns use. */
export function readPath(obj: unknown, jsonPath: string): unknown {
  if (!/^(\.[A-Za-z0-9_-]+)+$/.test(jsonPath)) throw new Error(`unsupported printer column path ${jsonPath}`);
  let current: unknown = obj;
  for (const key of jsonPath.slice(1).split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function cellText(column: PrinterColumn, value: unknown, now: number): string {
  if (value === undefined || value === null) return '';
  if (column.type === 'date') return age(String(value), now);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export interface TableOptions {
  /** Add the NAMESPACE column (-A). */
  allNamespaces: boolean;
  /** Add the priority-1 columns (-o wide). */
  wide: boolean;
  now: number;
}

export function canaryTable(canaries: readonly Canary[], options: TableOptions): string {
  const columns = canaryColumns().filter((c) => options.wide || (c.priority ?? 0) === 0);
  const header = [...(options.allNamespaces ? ['NAMESPACE'] : []), 'NAME', ...columns.map((c) => columnHeader(c.name))];
  const sorted = [...canaries].sort(
    (a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name),
  );
  const rows = sorted.map((canary) => [
    ...(options.allNamespaces ? [canary.metadata.namespace ?? ''] : []),
    canary.metadata.name,
    ...columns.map((c) => cellText(c, readPath(canary, c.jsonPath), options.now)),
  ]);
  return formatTable(header, rows);
}

/** What `get` prints when nothing matched, as kubectl words it. */
export function noCanariesMessage(namespace: string | undefined): string {
  return namespace === undefined ? 'No canaries found.' : `No canaries found in ${namespace} namespace.`;
}
