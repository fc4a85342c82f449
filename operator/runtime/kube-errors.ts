// Reading HTTP status codes out of the different error shapes the Kubernetes client throws:
// ApiException (`code`) from the generated API clients, `statusCode` from Watch, and our own
// KubeRequestError from raw requests.

export class KubeRequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'KubeRequestError';
  }
}

export function statusCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const record = err as Record<string, unknown>;
  for (const field of ['statusCode', 'code']) {
    const value = record[field];
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusCodeOf(err) === 409;
export const isAlreadyExists = (err: unknown): boolean => statusCodeOf(err) === 409;
export const isGone = (err: unknown): boolean => statusCodeOf(err) === 410;

/** A short description for logs: the API server's message when there is one. */
export function describeError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const record = err as Record<string, unknown>;
  const body = record.body;
  if (typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>).message === 'string') {
    return `${statusCodeOf(err) ?? ''} ${(body as Record<string, string>).message}`.trim();
  }
  if (typeof body === 'string' && body.length > 0) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') return `${statusCodeOf(err) ?? ''} ${parsed.message}`.trim();
    } catch {
      // not JSON: fall through to the error's own message
    }
  }
  return err instanceof Error ? err.message : JSON.stringify(err);
}
