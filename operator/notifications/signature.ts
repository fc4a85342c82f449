// Signing of generic webhook deliveries, so that a receiver can tell Sluice's posts from
// anyone else's who learnt the URL, and refuse a captured post replayed later.
//
//   X-Sluice-Timestamp: <unix seconds>
//   X-Sluice-Signature: sha256=<lowercase hex HMAC-SHA256(key, "<timestamp>.<raw body>")>
//
// The signed string is the timestamp header's exact value, one ".", then the raw request
// body bytes as sent. A receiver recomputes it, compares in constant time, and rejects
// timestamps too far from its own clock (five minutes is the usual tolerance).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Sluice-Signature';
export const TIMESTAMP_HEADER = 'X-Sluice-Timestamp';
const PREFIX = 'sha256=';

/** The string that is signed: "<timestamp>.<body>". */
export function signingString(timestamp: string, body: string): string {
  return `${timestamp}.${body}`;
}

export function computeSignature(key: string, timestamp: string, body: string): string {
  return PREFIX + createHmac('sha256', key).update(signingString(timestamp, body), 'utf8').digest('hex');
}

/** Headers that sign `body` at `at` with `key`. */
export function signatureHeaders(key: string, body: string, at: Date): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: computeSignature(key, timestamp, body) };
}

export type SignatureCheck = { valid: true } | { valid: false; reason: string };

/**
 * What a receiver does (exported for receivers written in TypeScript, and for our tests):
 * checks the signature over the raw body and that the timestamp is within `toleranceSeconds`.
 */
export function verifySignature(
  key: string,
  body: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  now: Date,
  toleranceSeconds = 300,
): SignatureCheck {
  const { timestamp, signature } = headers;
  if (!timestamp || !/^\d+$/.test(timestamp)) return { valid: false, reason: 'missing or malformed timestamp' };
  if (!signature?.startsWith(PREFIX)) return { valid: false, reason: 'missing or malformed signature' };
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > toleranceSeconds) return { valid: false, reason: `timestamp ${Math.round(skew)} s away from now` };
  const expected = Buffer.from(computeSignature(key, timestamp, body), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { valid: false, reason: 'signature mismatch' };
  return { valid: true };
}
