// `kubectl sluice get [NAME]`.
import { stringify } from 'yaml';
import type { Canary } from '../../crds/index.js';
import type { OutputFormat } from '../args.js';
import type { CanaryApi } from '../canary-api.js';
import { canaryTable, noCanariesMessage } from '../canary-table.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export interface GetOptions {
  canary?: string;
  output: OutputFormat;
  /** undefined: all namespaces. */
  namespace: string | undefined;
}

/** managedFields are noise for people, as kubectl agrees (--show-managed-fields). */
function withoutManagedFields(canary: Canary): Canary {
  const { managedFields: _managed, ...metadata } = canary.metadata as Canary['metadata'] & { managedFields?: unknown };
  return { ...canary, metadata };
}

export function serialize(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 });
}

export async function runGet(api: CanaryApi, options: GetOptions, io: Io): Promise<ExitCode> {
  if (options.canary !== undefined) {
    const canary = withoutManagedFields(await api.get(options.namespace ?? 'default', options.canary));
    if (options.output === 'json' || options.output === 'yaml') io.stdout.write(serialize(canary, options.output));
    else io.stdout.write(`${canaryTable([canary], { allNamespaces: false, wide: options.output === 'wide', now: io.now() })}\n`);
    return EXIT.ok;
  }
  const canaries = (await api.list(options.namespace)).map(withoutManagedFields);
  if (options.output === 'json' || options.output === 'yaml') {
    io.stdout.write(serialize({ apiVersion: 'v1', kind: 'List', items: canaries, metadata: { resourceVersion: '' } }, options.output));
    return EXIT.ok;
  }
  if (canaries.length === 0) {
    // kubectl says this on stderr, so that a script reading stdout sees an empty table.
    io.stderr.write(`${noCanariesMessage(options.namespace)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(`${canaryTable(canaries, { allNamespaces: options.namespace === undefined, wide: options.output === 'wide', now: io.now() })}\n`);
  return EXIT.ok;
}
