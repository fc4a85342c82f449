import { createHmac } from 'node:crypto';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  computeSignature,
  signatureHeaders,
  signingString,
  verifySignature,
} from '../../../../operator/notifications/signature.js';

const key = 'sluice-test-key';
const body = '{"name":"podinfo","event":"RolledBack"}';
const at = new Date('2026-11-21T10:15:30Z');
const timestamp = '1795256130';

describe('generic webhook signature', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256, hex, prefixed sha256=', () => {
    expect(signingString(timestamp, body)).toBe(`1795256130.${body}`);
    // Computed independently with: printf '%s' '<timestamp>.<body>' | openssl dgst -sha256 -hmac sluice-test-key
    const knownVector = 'sha256=99aae1247ec04f293d0c4474d0b4e78597afd7a996661389eeba689a6f92b77f';
    const withNodeCrypto = 'sha256=' + createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
    expect(withNodeCrypto).toBe(knownVector);
    expect(computeSignature(key, timestamp, body)).toBe(knownVector);
  });

  it('puts the unix-seconds timestamp it signed into the headers', () => {
    expect(signatureHeaders(key, body, at)).toEqual({
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: computeSignature(key, timestamp, body),
    });
    // Sub-second parts do not change the timestamp.
    expect(signatureHeaders(key, body, new Date(at.getTime() + 999))[TIMESTAMP_HEADER]).toBe(timestamp);
  });

  it('verifies its own signature, and rejects a changed body, key, timestamp or a stale post', () => {
    const headers = signatureHeaders(key, body, at);
    const given = { timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] };
    expect(verifySignature(key, body, given, at)).toEqual({ valid: true });
    expect(verifySignature(key, body.replace('RolledBack', 'Promoted'), given, at)).toEqual({ valid: false, reason: 'signature mismatch' });
    expect(verifySignature('other-key', body, given, at)).toEqual({ valid: false, reason: 'signature mismatch' });
    // Replaying the body with a fresh timestamp but the old signature fails: the timestamp is signed.
    expect(verifySignature(key, body, { ...given, timestamp: '1795256200' }, at)).toEqual({ valid: false, reason: 'signature mismatch' });
    expect(verifySignature(key, body, given, new Date(at.getTime() + 301_000))).toEqual({ valid: false, reason: 'timestamp 301 s away from now' });
    expect(verifySignature(key, body, given, new Date(at.getTime() + 299_000)).valid).toBe(true);
    expect(verifySignature(key, body, { ...given, signature: undefined }, at).valid).toBe(false);
    expect(verifySignature(key, body, { ...given, signature: 'sha256=00' }, at)).toEqual({ valid: false, reason: 'signature mismatch' });
    expect(verifySignature(key, body, { ...given, timestamp: 'yesterday' }, at)).toEqual({ valid: false, reason: 'missing or malformed timestamp' });
  });
});
