// From an AlertProvider object (and its Secret) to where and how to send. The webhook URL is
// a credential, so it usually lives in a Secret; reading objects is the controller's job (it
// has the informer caches), so this file offers the pure merge plus a resolver built from
// two lookups the controller supplies. Nothing here logs or throws a URL.
import { ALERT_PROVIDER_TYPES, ALERT_SECRET_KEYS, type AlertProvider, type AlertProviderType } from '../../crds/index.js';
import { type AlertProviderRef, providerKey } from './alert-routing.js';

/**
 * Key of the Secret named by secretRef that holds the HMAC key for the generic webhook's
 * X-Sluice-Signature header. `token` is the key Flagger users already keep next to
 * `address`; other provider types ignore it.
 */
export const ALERT_SIGNING_KEY = 'token';

/** Everything the dispatcher needs to deliver to one AlertProvider. */
export interface ResolvedProvider {
  ref: AlertProviderRef;
  type: AlertProviderType;
  /** Webhook URL (secret: never log more than its origin). */
  url: string;
  /** HTTP(S) proxy URL. */
  proxy?: string;
  channel?: string;
  username?: string;
  /** HMAC-SHA256 key for the generic webhook's signature. */
  signingKey?: string;
}

/** Resolves a provider reference; backed by informer caches and Secret reads in the operator. */
export type ProviderResolver = (ref: AlertProviderRef) => Promise<ResolvedProvider>;

/**
 * Why a provider could not be resolved. `permanent` failures (no such AlertProvider, no URL
 * anywhere, a malformed URL) are not retried; a failed Secret read is.
 */
export class ProviderResolutionError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'ProviderResolutionError';
  }
}

function checkUrl(value: string, what: string, ref: AlertProviderRef): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ProviderResolutionError(`AlertProvider ${providerKey(ref)}: ${what} is not a valid URL`, true);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ProviderResolutionError(`AlertProvider ${providerKey(ref)}: ${what} must be http or https, not ${parsed.protocol}`, true);
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * Merges an AlertProvider with the decoded data of its Secret (if it names one). The Secret's
 * `address` and `proxy` override the spec's; a Secret without `address` is allowed when the
 * spec has one (the Secret may hold only the signing `token`).
 */
export function resolveAlertProvider(
  ref: AlertProviderRef,
  provider: AlertProvider,
  secretData?: Readonly<Record<string, string>>,
): ResolvedProvider {
  const spec = provider.spec;
  // The API server enforces the enum; an object from elsewhere (a test, a newer CRD) may not.
  if (!(ALERT_PROVIDER_TYPES as readonly string[]).includes(spec.type)) {
    throw new ProviderResolutionError(`AlertProvider ${providerKey(ref)}: unsupported type ${JSON.stringify(spec.type)}`, true);
  }
  const address = nonEmpty(secretData?.[ALERT_SECRET_KEYS.address]) ?? nonEmpty(spec.address);
  if (!address) {
    const where = spec.secretRef ? `the key ${ALERT_SECRET_KEYS.address} of Secret ${spec.secretRef.name} nor spec.address` : 'spec.address';
    throw new ProviderResolutionError(`AlertProvider ${providerKey(ref)} has no webhook URL: neither ${where} is set`, true);
  }
  const proxy = nonEmpty(secretData?.[ALERT_SECRET_KEYS.proxy]) ?? nonEmpty(spec.proxy);
  const signingKey = secretData?.[ALERT_SIGNING_KEY];
  const resolved: ResolvedProvider = { ref, type: spec.type, url: checkUrl(address, 'the webhook address', ref) };
  if (proxy) resolved.proxy = checkUrl(proxy, 'the proxy', ref);
  if (spec.channel) resolved.channel = spec.channel;
  if (spec.username) resolved.username = spec.username;
  // A key of whitespace only is a mistake, not a key; the raw value is used otherwise.
  if (signingKey !== undefined && signingKey.trim() !== '') resolved.signingKey = signingKey;
  return resolved;
}

/** The parts of a core/v1 Secret this module reads. */
export interface SecretLike {
  /** Base64-encoded values, as the API server returns them. */
  data?: Record<string, string>;
}

export function decodeSecretData(secret: SecretLike): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) decoded[key] = Buffer.from(value, 'base64').toString('utf8');
  return decoded;
}

/** The two reads a resolver needs; the operator answers them from informer caches or the API. */
export interface ProviderLookups {
  getAlertProvider(ref: AlertProviderRef): AlertProvider | undefined | Promise<AlertProvider | undefined>;
  getSecret(namespace: string, name: string): SecretLike | undefined | Promise<SecretLike | undefined>;
}

/** A resolver that reads the AlertProvider and, if it names one, its Secret (in the provider's namespace). */
export function createProviderResolver(lookups: ProviderLookups): ProviderResolver {
  return async (ref) => {
    const provider = await lookups.getAlertProvider(ref);
    if (!provider) throw new ProviderResolutionError(`AlertProvider ${providerKey(ref)} not found`, true);
    const secretName = provider.spec.secretRef?.name;
    if (!secretName) return resolveAlertProvider(ref, provider);
    let secret: SecretLike | undefined;
    try {
      secret = await lookups.getSecret(ref.namespace, secretName);
    } catch (err) {
      throw new ProviderResolutionError(`AlertProvider ${providerKey(ref)}: reading Secret ${secretName} failed: ${(err as Error).message}`, false);
    }
    // Not found now may be found in a moment (created together with the provider by GitOps).
    if (!secret) throw new ProviderResolutionError(`AlertProvider ${providerKey(ref)}: Secret ${ref.namespace}/${secretName} not found`, false);
    return resolveAlertProvider(ref, provider, decodeSecretData(secret));
  };
}
