// Entry points of the traffic listeners: plain requests become Exchanges, upgrade requests
// become WebSocket tunnels. Both look up the active configuration once, on arrival.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CompiledRule } from './compiled-snapshot.js';
import { Exchange } from './exchange.js';
import { pickEndpoint } from './load-balancer.js';
import { sendLocalReply, writeRawReply } from './local-reply.js';
import { NO_ROUTE } from './metrics.js';
import { recordFailure, recordSuccess } from './outlier-detector.js';
import { RequestFacts } from './request-facts.js';
import { findMatchingRule } from './route-matcher.js';
import { backendFromCookie, chooseBackend } from './session-affinity.js';
import type { ActiveConfig, TrafficContext } from './traffic-context.js';
import { prepareUpstreamRequestHeaders } from './upstream-headers.js';

export class TrafficHandler {
  constructor(
    private readonly ctx: TrafficContext,
    private readonly activeConfig: () => ActiveConfig | undefined,
  ) {}

  handleRequest(bindingKey: string, req: IncomingMessage, res: ServerResponse): void {
    const active = this.activeConfig();
    const listener = active?.compiled.listenersByBinding.get(bindingKey);
    if (active === undefined || listener === undefined) {
      sendLocalReply(res, 503, 'listener-removed', 'this listener is no longer configured', true);
      return;
    }
    new Exchange(this.ctx, active, listener, req, res).start();
  }

  handleUpgrade(bindingKey: string, req: IncomingMessage, socket: Socket, head: Buffer): void {
    // Node removes its own error handling from a socket it hands over for an upgrade.
    socket.on('error', (err) => this.ctx.logger.debug({ err }, 'client socket error during upgrade'));
    const active = this.activeConfig();
    const listener = active?.compiled.listenersByBinding.get(bindingKey);
    if (active === undefined || listener === undefined) {
      writeRawReply(socket, 503, 'listener-removed', 'this listener is no longer configured');
      return;
    }
    if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      writeRawReply(socket, 400, 'bad-request', 'only WebSocket upgrades are supported');
      return;
    }
    const facts = new RequestFacts(req.method, req.url ?? '/', req.headers);
    const index = findMatchingRule(listener.rules, facts);
    if (index < 0) {
      this.ctx.metrics.recordRequest(`${listener.name}/${NO_ROUTE}`, NO_ROUTE, 404, false, undefined);
      writeRawReply(socket, 404, 'no-route', `no route of listener ${listener.name} matches ${facts.method} ${facts.path}`);
      return;
    }
    const rule = listener.rules[index] as CompiledRule;
    // A tunnel cannot set a cookie, but an existing one still pins the client.
    const sticky = rule.affinity ? backendFromCookie(facts.cookie(rule.affinity.cookieName)) : undefined;
    const backend = chooseBackend(rule.backends, sticky, this.ctx.random).backend;
    const pool = active.pools.get(listener.name)?.get(backend);
    const endpoint = pool && pickEndpoint(pool.endpoints, listener.loadBalancing, this.ctx.now(), this.ctx.random, pool.cursor);
    if (pool === undefined || endpoint === undefined) {
      this.ctx.metrics.recordRequest(rule.routeLabel, backend, 503, false, undefined);
      writeRawReply(socket, 503, 'no-endpoint', `backend ${backend} has no ready endpoint`);
      return;
    }
    prepareUpstreamRequestHeaders(req.headers, { clientAddress: req.socket.remoteAddress, websocketUpgrade: true });
    const started = performance.now();
    endpoint.active++;
    socket.once('close', () => endpoint.active--);
    this.ctx.forwarder.upgrade(req, socket, head, endpoint, (r) => {
      const elapsedMs = performance.now() - started;
      const code = 'status' in r ? r.status : 502;
      if ('failure' in r) {
        this.ctx.metrics.upstreamError(rule.routeLabel, backend, r.failure);
        writeRawReply(socket, 502, 'upstream-failure', `backend ${backend} failed: ${r.failure}`);
      }
      if (code >= 500) {
        if (recordFailure(endpoint, pool.endpoints, listener.outlier, this.ctx.now())) this.ctx.metrics.ejected(listener.name, backend);
      } else {
        recordSuccess(endpoint);
      }
      this.ctx.metrics.recordRequest(rule.routeLabel, backend, code, false, elapsedMs / 1000);
      this.ctx.stats.record(backend, code >= 500, elapsedMs);
    });
  }
}
