// Turns whatever the Kubernetes client threw into a sentence a user can act on, with the
// exit code for its kind. Pure: the error is plain data here, so every case is unit-tested
// with the shapes the API server and Node's network stack really produce.
import { statusCodeOf } from '../operator/runtime/kube-errors.js';
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

/** What the CLI was doing when the error happened, in the API server's words. */
export interface Operation {
  verb: 'get' | 'list' | 'watch' | 'patch';
  /** Plural resource name, e.g. "canaries". */
  resource: string;
  /** Group of the resource, e.g. "sluice.dev"; empty for core. */
  group: string;
  /** Absent: across all namespaces. */
  namespace?: string;
  /** The object, when the operation was about one. */
  name?: string;
  /** Singular for messages, e.g. "canary". */
  singular: string;
}

/** Where the request went, for messages about reaching it. */
export interface Endpoint {
  server: string;
  context: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The API server's Status object, whether the client parsed it or left it as text. */
export function statusBody(err: unknown): Record<string, unknown> | undefined {
  if (!isRecord(err)) return undefined;
  let body = err.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  return isRecord(body) ? body : undefined;
}

function serverMessage(err: unknown): string | undefined {
  const message = statusBody(err)?.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

// Node's network errors carry a string code, on the error (node-fetch) or its cause (fetch).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

function networkCode(err: unknown): string | undefined {
  for (let current: unknown = err, depth = 0; isRecord(current) && depth < 4; current = current.cause, depth++) {
    if (typeof current.code === 'string') return current.code;
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const inNamespace = (op: Operation): string => (op.namespace === undefined ? 'in any namespace' : `in namespace "${op.namespace}"`);

export function explainKubeError(err: unknown, op: Operation, endpoint: Endpoint): CliError {
  if (err instanceof CliError) return err;
  const status = statusCodeOf(err);
  const said = serverMessage(err);
  const fullResource = op.group === '' ? op.resource : `${op.resource}.${op.group}`;
  if (status === 404) {
    const details = statusBody(err)?.details;
    // A missing object comes with details naming it; a missing resource type (CRDs not
    // installed) is a bare "the server could not find the requested resource".
    if (op.name !== undefined && isRecord(details) && details.name === op.name) {
      return new CliError(`${op.singular} "${op.name}" not found ${inNamespace(op)}`, EXIT.notFound);
    }
    return new CliError(
      `the API server of context "${endpoint.context}" does not serve ${fullResource}: are Sluice's CRDs installed in this cluster? (${said ?? 'not found'})`,
      EXIT.notFound,
    );
  }
  if (status === 403) {
    return new CliError(`you may not ${op.verb} ${op.resource} ${inNamespace(op)}${said ? ` (${said})` : ''}`, EXIT.forbidden);
  }
  if (status === 401) {
    return new CliError(
      `the API server at ${endpoint.server} did not accept the credentials of context "${endpoint.context}" (401 Unauthorized): log in again or fix the user in your kubeconfig`,
      EXIT.forbidden,
    );
  }
  if (status !== undefined) {
    return new CliError(`the API server answered ${status} to ${op.verb} ${op.resource}: ${said ?? describe(err)}`, EXIT.unavailable);
  }
  const code = networkCode(err);
  if (code !== undefined && (NETWORK_CODES.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL'))) {
    const tls = !NETWORK_CODES.has(code);
    return new CliError(
      tls
        ? `cannot talk to the API server at ${endpoint.server} (context "${endpoint.context}"): TLS failed (${code}): check the cluster's certificate-authority in your kubeconfig`
        : `cannot reach the API server at ${endpoint.server} (context "${endpoint.context}"): ${code}: is the cluster running, and is "${endpoint.context}" the right context?`,
      EXIT.unavailable,
    );
  }
  return new CliError(`${op.verb} ${op.resource} failed: ${describe(err)}`, EXIT.unavailable);
}
