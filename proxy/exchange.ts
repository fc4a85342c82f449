// One client request from arrival to the end of its response: route, choose a backend,
// inject faults, mirror, forward with timeouts and retries, relay, and count it. Decisions
// are made by the pure modules; this class only sequences them and does the I/O. The
// request uses the configuration that was active when it arrived until it ends.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BackendPool } from './backend-pool.js';
import type { CompiledListener, CompiledRule } from './compiled-snapshot.js';
import type { EndpointState } from './endpoint-state.js';
import { decideFaults, hit, type FaultDecision } from './fault-injection.js';
import type { MirrorCopy, TryHandle, TryResult } from './http-forwarder.js';
import { pickEndpoint } from './load-balancer.js';
import { sendLocalReply, type LocalReplyReason } from './local-reply.js';
import { NO_ROUTE } from './metrics.js';
import { recordFailure, recordSuccess } from './outlier-detector.js';
import { RequestFacts } from './request-facts.js';
import {
  MAX_REPLAYABLE_BODY_BYTES,
  backoffDelay,
  isStaleConnectionReplay,
  shouldRetry,
  type TryOutcome,
} from './retry-policy.js';
import { findMatchingRule } from './route-matcher.js';
import { affinityCookie, backendFromCookie, chooseBackend } from './session-affinity.js';
import type { TrafficContext, ActiveConfig } from './traffic-context.js';
import { prepareUpstreamRequestHeaders } from './upstream-headers.js';
import { pickWeighted } from './weighted-choice.js';

const EMPTY_BODY = Buffer.alloc(0);

type BodyMode = 'none' | 'buffered' | 'streamed';

export class Exchange {
  private readonly startedAt = performance.now();
  private route: string;
  private rule: CompiledRule | undefined;
  private backend: string | undefined;
  private pool: BackendPool | undefined;
  private setAffinityCookie = false;

  private bodyMode: BodyMode = 'none';
  private body: Buffer | undefined;
  private bodyComplete = false;
  private readingBody = false;

  private currentTry: TryHandle | undefined;
  private currentEndpoint: EndpointState | undefined;
  private lastEndpoint: EndpointState | undefined;
  private tries = 0;
  private retriesDone = 0;
  private holdsRetry = false;
  private staleReplayed = false;

  private overallTimer: NodeJS.Timeout | undefined;
  private perTryTimer: NodeJS.Timeout | undefined;
  private waitTimer: NodeJS.Timeout | undefined;

  private mirror: MirrorCopy | undefined;
  private relaying = false;
  /** The upstream response being relayed, and the endpoint it comes from. */
  private relayed: IncomingMessage | undefined;
  private relayEndpoint: EndpointState | undefined;
  private upstreamBroken = false;
  private localReason: LocalReplyReason | undefined;
  private finished = false;

  constructor(
    private readonly ctx: TrafficContext,
    private readonly active: ActiveConfig,
    private readonly listener: CompiledListener,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.route = `${listener.name}/${NO_ROUTE}`;
  }

  start(): void {
    this.ctx.metrics.requestStarted(this.listener.name);
    this.res.once('close', () => this.onClose());

    const facts = new RequestFacts(this.req.method ?? 'GET', this.req.url ?? '/', this.req.headers);
    const index = findMatchingRule(this.listener.rules, facts);
    if (index < 0) {
      this.reply(404, 'no-route', `no route of listener ${this.listener.name} matches ${facts.method} ${facts.path}`);
      return;
    }
    const rule = this.listener.rules[index] as CompiledRule;
    this.rule = rule;
    this.route = rule.routeLabel;
    if (rule.affinity !== undefined) {
      const decision = chooseBackend(rule.backends, backendFromCookie(facts.cookie(rule.affinity.cookieName)), this.ctx.random);
      this.backend = decision.backend;
      this.setAffinityCookie = decision.setCookie;
    } else {
      this.backend = rule.backends.length === 1 ? (rule.backends[0] as { name: string }).name : pickWeighted(rule.backends, this.ctx.random);
    }
    const pool = this.active.pools.get(this.listener.name)?.get(this.backend);
    if (pool === undefined) {
      // Pools are built for every backend a listener's rules name; this would be a bug.
      this.ctx.logger.error({ listener: this.listener.name, backend: this.backend }, 'no pool for backend');
      this.reply(500, 'internal-error', `no connection pool for backend ${this.backend}`);
      return;
    }
    this.pool = pool;
    pool.budget.activeRequests++;

    if (rule.timeoutMs > 0) this.overallTimer = setTimeout(() => this.onOverallTimeout(), rule.timeoutMs);
    prepareUpstreamRequestHeaders(this.req.headers, { clientAddress: this.req.socket.remoteAddress, websocketUpgrade: false });

    const faults = decideFaults(rule.faults, this.ctx.random);
    if (faults.delayMs > 0) {
      this.ctx.metrics.faultInjected(this.route, 'delay');
      this.waitTimer = setTimeout(() => this.proceed(faults), faults.delayMs);
    } else {
      this.proceed(faults);
    }
  }

  private proceed(faults: FaultDecision): void {
    this.waitTimer = undefined;
    if (this.finished) return;
    if (faults.abortStatus !== undefined) {
      this.ctx.metrics.faultInjected(this.route, 'abort');
      this.reply(faults.abortStatus, 'fault', `fault injected by route ${this.route}`);
      return;
    }
    this.startMirror();

    const headers = this.req.headers;
    const contentLength = headers['content-length'];
    const chunked = headers['transfer-encoding'] !== undefined;
    if (!chunked && (contentLength === undefined || contentLength === '0')) {
      this.bodyMode = 'none';
      this.bodyComplete = true;
      this.mirror?.end();
      this.tryNext();
    } else if (!chunked && Number(contentLength) <= MAX_REPLAYABLE_BODY_BYTES) {
      // Small bodies are read whole so that the request can be replayed on another endpoint.
      this.bodyMode = 'buffered';
      this.readBody();
    } else {
      this.bodyMode = 'streamed';
      const mirror = this.mirror;
      if (mirror !== undefined) {
        // Tee: the primary gets the stream through http-proxy's pipe (with backpressure),
        // the mirror a copy that it must keep up with or lose.
        this.req.on('data', (chunk: Buffer) => mirror.write(chunk));
        this.req.on('end', () => {
          this.bodyComplete = true;
          mirror.end();
        });
      } else {
        this.req.once('end', () => (this.bodyComplete = true));
      }
      this.tryNext();
    }
  }

  private readBody(): void {
    this.readingBody = true;
    const chunks: Buffer[] = [];
    let size = 0;
    this.req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    this.req.on('end', () => {
      this.readingBody = false;
      if (this.finished) return;
      this.body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      this.bodyComplete = true;
      this.mirror?.end(this.body);
      this.tryNext();
    });
  }

  private get replayable(): boolean {
    return this.bodyMode !== 'streamed';
  }

  private tryNext(): void {
    this.waitTimer = undefined;
    if (this.finished) return;
    const rule = this.rule as CompiledRule;
    const pool = this.pool as BackendPool;
    const endpoint = pickEndpoint(pool.endpoints, this.listener.loadBalancing, this.ctx.now(), this.ctx.random, pool.cursor, this.lastEndpoint);
    if (endpoint === undefined) {
      this.releaseRetry();
      this.reply(503, 'no-endpoint', `backend ${pool.backend} has no ready endpoint`);
      return;
    }
    this.currentEndpoint = endpoint;
    this.lastEndpoint = endpoint;
    endpoint.active++;
    if (rule.retries.perTryTimeoutMs > 0) {
      this.perTryTimer = setTimeout(() => this.currentTry?.abort('timeout'), rule.retries.perTryTimeoutMs);
    }
    const body = this.bodyMode === 'buffered' ? this.body : this.bodyMode === 'none' && this.tries > 0 ? EMPTY_BODY : undefined;
    this.tries++;
    this.currentTry = this.ctx.forwarder.tryRequest(this.req, this.res, endpoint, body, (r) => this.onTryResult(r, endpoint));
  }

  private onTryResult(r: TryResult, endpoint: EndpointState): void {
    clearTimeout(this.perTryTimer);
    this.currentTry = undefined;
    this.currentEndpoint = undefined;
    const rule = this.rule as CompiledRule;
    const backend = this.backend as string;

    if (r.kind === 'response') {
      const status = r.response.statusCode ?? 502;
      if (status >= 500) this.endpointFailed(endpoint);
      else recordSuccess(endpoint);
      this.releaseRetry();
      if (this.finished) {
        endpoint.active--;
        this.ctx.forwarder.discardResponse(r.response);
        return;
      }
      if (this.mayRetry({ status })) {
        endpoint.active--;
        this.ctx.forwarder.discardResponse(r.response);
        this.scheduleRetry();
        return;
      }
      // Deadlines bound the wait for a response, not the streaming of its body.
      clearTimeout(this.overallTimer);
      this.relaying = true;
      const cookie = this.setAffinityCookie && rule.affinity ? affinityCookie(rule.affinity.cookieName, backend, rule.affinity.maxAgeMs) : undefined;
      this.relayed = r.response;
      this.relayEndpoint = endpoint;
      this.ctx.forwarder.relayResponse(this.res, r.response, cookie, () => {
        // Cut upstream: the client's response is destroyed in turn, and closes after this.
        if (this.finished) return;
        this.upstreamBroken = true;
        this.endpointFailed(endpoint);
        this.ctx.metrics.upstreamError(this.route, backend, 'reset');
      });
      return;
    }

    endpoint.active--;
    this.endpointFailed(endpoint);
    this.releaseRetry();
    this.ctx.metrics.upstreamError(this.route, backend, r.failure);
    if (this.finished) return;
    if (isStaleConnectionReplay(r.failure, r.reusedSocket, this.replayable, this.staleReplayed)) {
      this.staleReplayed = true;
      this.lastEndpoint = undefined;
      this.tryNext();
      return;
    }
    if (this.mayRetry({ failure: r.failure })) {
      this.scheduleRetry();
      return;
    }
    this.upstreamBroken = true;
    // The error text names the endpoint's address: logged, not shown to a possibly external client.
    this.ctx.logger.debug({ route: this.route, backend, endpoint: endpoint.key, err: r.error }, 'upstream failure');
    if (r.failure === 'timeout') this.reply(504, 'upstream-timeout', `backend ${backend} did not answer within ${rule.retries.perTryTimeoutMs} ms`);
    else this.reply(502, 'upstream-failure', `backend ${backend} failed: ${r.failure}`);
  }

  private mayRetry(outcome: TryOutcome): boolean {
    const rule = this.rule as CompiledRule;
    const retry = shouldRetry({
      outcome,
      conditions: rule.retries.conditions,
      retriesDone: this.retriesDone,
      maxRetries: rule.retries.maxRetries,
      replayable: this.replayable,
    });
    if (!retry) return false;
    const pool = this.pool as BackendPool;
    if (!pool.budget.tryAcquireRetry()) {
      this.ctx.metrics.retryDenied(this.route, pool.backend);
      return false;
    }
    this.holdsRetry = true;
    this.retriesDone++;
    this.ctx.metrics.retry(this.route, pool.backend);
    return true;
  }

  private scheduleRetry(): void {
    const rule = this.rule as CompiledRule;
    const delay = backoffDelay(this.retriesDone, rule.retries.backoffMs, this.ctx.random);
    this.waitTimer = setTimeout(() => this.tryNext(), delay);
  }

  private releaseRetry(): void {
    if (this.holdsRetry) {
      this.holdsRetry = false;
      this.pool?.budget.releaseRetry();
    }
  }

  private endpointFailed(endpoint: EndpointState): void {
    const pool = this.pool as BackendPool;
    if (recordFailure(endpoint, pool.endpoints, this.listener.outlier, this.ctx.now())) {
      this.ctx.metrics.ejected(this.listener.name, pool.backend);
      this.ctx.logger.warn({ listener: this.listener.name, backend: pool.backend, endpoint: endpoint.key, until: new Date(endpoint.ejectedUntil).toISOString() }, 'endpoint ejected');
    }
  }

  private onOverallTimeout(): void {
    this.overallTimer = undefined;
    if (this.finished || this.relaying) return;
    const rule = this.rule as CompiledRule;
    clearTimeout(this.waitTimer);
    this.abortCurrentTry();
    if (this.readingBody) {
      this.reply(408, 'request-timeout', `request body not received within ${rule.timeoutMs} ms`, true);
      return;
    }
    this.upstreamBroken = true;
    if (this.backend !== undefined) this.ctx.metrics.upstreamError(this.route, this.backend, 'timeout');
    this.reply(504, 'upstream-timeout', `backend ${this.backend ?? ''} did not answer within ${rule.timeoutMs} ms`);
  }

  private abortCurrentTry(): void {
    clearTimeout(this.perTryTimer);
    const t = this.currentTry;
    if (t === undefined) return;
    this.currentTry = undefined;
    t.abort();
    if (this.currentEndpoint !== undefined) this.currentEndpoint.active--;
    this.currentEndpoint = undefined;
    this.releaseRetry();
  }

  private startMirror(): void {
    const m = (this.rule as CompiledRule).mirror;
    if (m === undefined || !hit(m.percent, this.ctx.random)) return;
    const limits = this.listener.mirrorLimits;
    if (this.ctx.mirrorsInFlight(this.listener.name) >= limits.maxInFlight) {
      this.ctx.metrics.mirrorDrop(this.route, m.backend, 'in-flight-limit');
      return;
    }
    const pool = this.active.pools.get(this.listener.name)?.get(m.backend);
    const endpoint = pool && pickEndpoint(pool.endpoints, 'round-robin', this.ctx.now(), this.ctx.random, pool.cursor);
    if (endpoint === undefined) {
      this.ctx.metrics.mirrorDrop(this.route, m.backend, 'no-endpoint');
      return;
    }
    const route = this.route;
    const sentAt = performance.now();
    this.ctx.mirrorStarted(this.listener.name);
    this.mirror = this.ctx.forwarder.startMirror(
      {
        method: this.req.method ?? 'GET',
        url: this.req.url ?? '/',
        headers: { ...this.req.headers, 'x-sluice-mirror': 'true' },
        target: endpoint,
        timeoutMs: limits.timeoutMs,
        maxBufferedBytes: limits.maxBufferedBytes,
      },
      (r) => {
        this.ctx.mirrorEnded(this.listener.name);
        if (!('status' in r) && (r.failure === 'body-overflow' || r.failure === 'abandoned')) {
          // Given up on by the proxy, not answered by the backend: says nothing about it.
          this.ctx.metrics.mirrorDrop(route, m.backend, r.failure === 'abandoned' ? 'client-gone' : 'body-overflow');
          return;
        }
        const elapsedMs = performance.now() - sentAt;
        const status = 'status' in r ? r.status : 0;
        this.ctx.metrics.recordRequest(route, m.backend, status, true, elapsedMs / 1000);
        this.ctx.stats.recordMirrored(m.backend, status === 0 || status >= 500, elapsedMs);
      },
    );
  }

  private reply(status: number, reason: LocalReplyReason, message: string, closeConnection = false): void {
    this.localReason = reason;
    sendLocalReply(this.res, status, reason, message, closeConnection);
  }

  private onClose(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.overallTimer);
    clearTimeout(this.waitTimer);
    const completed = this.res.writableFinished;
    if (!completed) {
      // The client went away (or the response was cut): stop everything still running for it.
      this.abortCurrentTry();
      if (this.relayed !== undefined) this.ctx.forwarder.abandonResponse(this.relayed);
      if (!this.bodyComplete) this.mirror?.abandon();
    }
    if (this.relayEndpoint !== undefined) this.relayEndpoint.active--;
    this.releaseRetry();
    if (this.pool !== undefined) this.pool.budget.activeRequests--;

    const elapsedMs = performance.now() - this.startedAt;
    const code = completed || this.upstreamBroken ? this.res.statusCode : 499;
    const backend = this.backend ?? NO_ROUTE;
    this.ctx.metrics.recordRequest(this.route, backend, code, false, elapsedMs / 1000);
    if (this.backend !== undefined) this.ctx.stats.record(this.backend, code >= 500 || this.upstreamBroken, elapsedMs);
    this.ctx.metrics.requestEnded(this.listener.name);
    if (this.ctx.accessLog !== undefined) {
      this.ctx.accessLog.info(
        {
          listener: this.listener.name,
          route: this.route,
          backend,
          endpoint: this.lastEndpoint?.key,
          method: this.req.method,
          url: this.req.url,
          status: code,
          durationMs: Math.round(elapsedMs * 1000) / 1000,
          tries: this.tries,
          client: this.req.socket.remoteAddress,
          reply: this.localReason,
        },
        'access',
      );
    }
  }
}
