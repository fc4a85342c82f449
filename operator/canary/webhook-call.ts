// One webhook call over HTTP: POST the payload, retry with back-off where another attempt
// may help, and never wait longer than the caller allows. Each attempt has its own deadline
// covering the whole exchange (connect, headers and body), not only socket inactivity, so a
// receiver that trickles bytes cannot hold a rollout; only the start of a response body is
// read, so a receiver that answers with megabytes cannot fill the operator's memory.

import { AxiosError, isAxiosError, type AxiosInstance } from 'axios';
import type { Readable } from 'node:stream';
import { backoffDelay, type BackoffPolicy } from '../runtime/backoff.js';
import type { WebhookPayload } from './webhook-payload.js';
import { isSuccess, maxAttempts, outcomeMessage, shouldRetry, webhookTimeoutMs, type WebhookAttempt, type WebhookOutcome } from './webhook-plan.js';
import type { CanaryWebhook } from '../../crds/index.js';

export interface WebhookCallOptions {
  http: AxiosInstance;
  backoff: BackoffPolicy;
  /** Bytes of a response body read for messages; the rest is discarded unread. */
  maxBodyBytes: number;
  userAgent: string;
  /** Gives up at once: the outcome is "aborted" and no further attempt is made. */
  signal?: AbortSignal;
  /** Before each retry, with the attempt that failed and the delay before the next one. */
  onRetry?: (failed: WebhookAttempt, attempt: number, delayMs: number) => void;
}

export async function callWebhook(hook: CanaryWebhook, payload: WebhookPayload, options: WebhookCallOptions): Promise<WebhookOutcome> {
  const started = performance.now();
  const body = JSON.stringify(payload);
  const attemptsAllowed = maxAttempts(hook);
  let attempts = 0;
  let last: WebhookAttempt = { kind: 'aborted' };
  while (attempts < attemptsAllowed) {
    if (options.signal?.aborted) {
      last = { kind: 'aborted' };
      break;
    }
    attempts += 1;
    last = await attempt(hook, body, options);
    if (isSuccess(last) || !shouldRetry(last) || attempts >= attemptsAllowed) break;
    const delayMs = backoffDelay(options.backoff, attempts - 1);
    options.onRetry?.(last, attempts, delayMs);
    if (!(await sleep(delayMs, options.signal))) {
      last = { kind: 'aborted' };
      break;
    }
  }
  return {
    webhook: hook.name,
    type: hook.type,
    ok: isSuccess(last),
    last,
    attempts,
    durationMs: Math.round(performance.now() - started),
    muteAlert: hook.muteAlert ?? false,
    message: outcomeMessage(hook.name, last, attempts),
  };
}

class AttemptTimeout extends Error {}

async function attempt(hook: CanaryWebhook, body: string, options: WebhookCallOptions): Promise<WebhookAttempt> {
  const timeoutMs = webhookTimeoutMs(hook);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new AttemptTimeout()), timeoutMs);
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await options.http.post<Readable>(hook.url, body, {
      signal: controller.signal,
      // Our deadline covers the whole attempt; axios' own is an idle-socket timeout.
      timeout: 0,
      responseType: 'stream',
      // Every status is an answer to interpret, not an exception.
      validateStatus: () => true,
      maxRedirects: 5,
      headers: { 'Content-Type': 'application/json', 'User-Agent': options.userAgent },
    });
    const text = await readBounded(response.data, options.maxBodyBytes, controller.signal);
    return { kind: 'answered', status: response.status, statusText: response.statusText ?? '', body: text };
  } catch (err) {
    if (controller.signal.aborted) {
      return controller.signal.reason instanceof AttemptTimeout ? { kind: 'timeout', timeoutMs } : { kind: 'aborted' };
    }
    return { kind: 'failed', error: describeError(err) };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Reads at most `limit` bytes of a stream, then destroys it (closing the connection). */
async function readBounded(stream: Readable, limit: number, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const onAbort = (): void => {
    stream.destroy(new AxiosError('aborted while reading the response', AxiosError.ERR_CANCELED));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(buffer);
      size += buffer.length;
      if (size >= limit) break;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Leaving the loop early leaves the rest unread: nobody wants it.
    if (!stream.destroyed) stream.destroy();
  }
  // A multi-byte character cut at the limit decodes as U+FFFD; it is only an excerpt.
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function describeError(err: unknown): string {
  if (isAxiosError(err)) {
    const code = err.code && !err.message.includes(err.code) ? `${err.code}: ` : '';
    return `${code}${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Waits `ms`; resolves false at once if the signal aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
