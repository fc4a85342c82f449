// Authenticates proxies by their ServiceAccount token through the API server's TokenReview
// API, so that the config server trusts exactly what the cluster trusts (bound, projected,
// expiring tokens included) without handling signing keys itself. Positive answers are cached
// briefly (keyed by a hash, never the token) because every proxy of a rollout may reconnect at
// once; concurrent reviews of the same token share one request. Rejections are not cached: a
// proxy whose token just got fixed should not wait.
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../runtime/clock.js';
import { describeError } from '../runtime/kube-errors.js';
import { serviceAccountOf, type ProxyIdentity } from './proxy-identity.js';

export type AuthResult = { ok: true; identity: ProxyIdentity } | { ok: false; status: 401 | 403 | 503; reason: string };

export interface Authenticator {
  authenticate(token: string): Promise<AuthResult>;
}

export interface TokenReviewAuthenticatorOptions {
  kubeConfig: KubeConfig;
  /** Audiences the token must be valid for; absent: the API server's own. */
  audiences?: string[];
  /** How long a positive review is trusted. Default 30 s. */
  cacheTtlMs?: number;
  maxCacheEntries?: number;
  log: Logger;
  clock?: Clock;
}

export class TokenReviewAuthenticator implements Authenticator {
  private readonly api: AuthenticationV1Api;
  private readonly clock: Clock;
  private readonly cache = new Map<string, { identity: ProxyIdentity; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<AuthResult>>();

  constructor(private readonly options: TokenReviewAuthenticatorOptions) {
    this.api = options.kubeConfig.makeApiClient(AuthenticationV1Api);
    this.clock = options.clock ?? systemClock;
  }

  authenticate(token: string): Promise<AuthResult> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.clock.now()) return Promise.resolve({ ok: true, identity: cached.identity });
    if (cached) this.cache.delete(key);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const review = this.review(token, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, review);
    return review;
  }

  private async review(token: string, key: string): Promise<AuthResult> {
    let status;
    try {
      const review = await this.api.createTokenReview({
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, ...(this.options.audiences?.length ? { audiences: this.options.audiences } : {}) },
        },
      });
      status = review.status;
    } catch (err) {
      this.options.log.warn({ reason: describeError(err) }, 'TokenReview failed');
      return { ok: false, status: 503, reason: 'cannot verify the token right now' };
    }
    if (!status?.authenticated) return { ok: false, status: 401, reason: status?.error || 'token not authenticated' };
    const identity = serviceAccountOf(status.user?.username ?? '');
    if (!identity) return { ok: false, status: 403, reason: `${status.user?.username ?? 'unknown user'} is not a ServiceAccount` };
    this.cache.set(key, { identity, expiresAt: this.clock.now() + (this.options.cacheTtlMs ?? 30_000) });
    while (this.cache.size > (this.options.maxCacheEntries ?? 10_000)) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value);
    }
    return { ok: true, identity };
  }
}
