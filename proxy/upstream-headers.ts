// Header rewriting at the proxy boundary (RFC 9110 §7.6.1): hop-by-hop headers describe one
// connection and must not travel to the next one; x-forwarded-* tell the upstream who the
// client was, since the upstream now sees the proxy's address.

type MutableHeaders = Record<string, string | string[] | undefined>;

// Plus every `proxy-*` header (Proxy-Connection, Proxy-Authorization, Proxy-Authenticate...).
const HOP_BY_HOP_LIST: readonly string[] = [
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Answered by the proxy's own HTTP server (100 Continue); forwarding it would make the
  // upstream wait for a continue that nobody relays.
  'expect',
  'http2-settings',
];
const HOP_BY_HOP: ReadonlySet<string> = new Set(HOP_BY_HOP_LIST);

export interface ForwardContext {
  /** Address of the client socket, appended to x-forwarded-for. */
  readonly clientAddress: string | undefined;
  /** Keep the Connection: Upgrade / Upgrade: websocket pair for a WebSocket handshake. */
  readonly websocketUpgrade: boolean;
}

/**
 * Rewrites incoming request headers, in place, into the headers sent upstream. Works on the
 * request's own header object because http-proxy copies `req.headers` when it builds the
 * upstream request; doing it in place also keeps retries and mirror copies consistent.
 */
export function prepareUpstreamRequestHeaders(headers: MutableHeaders, ctx: ForwardContext): void {
  const upgrade = headers.upgrade;
  const chunkedBody = headers['transfer-encoding'] !== undefined && headers['content-length'] === undefined;
  removeConnectionScoped(headers);
  if (chunkedBody) {
    // The body still needs framing on the next hop; Node frames it when told it is chunked.
    headers['transfer-encoding'] = 'chunked';
  }
  if (ctx.websocketUpgrade && upgrade !== undefined) {
    headers.connection = 'upgrade';
    headers.upgrade = upgrade;
  }
  const xff = headers['x-forwarded-for'];
  if (ctx.clientAddress !== undefined) {
    const prior = Array.isArray(xff) ? xff.join(', ') : xff;
    headers['x-forwarded-for'] = prior ? `${prior}, ${ctx.clientAddress}` : ctx.clientAddress;
  }
  // An ingress in front of us knows the original scheme and host better than we do.
  if (headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = ctx.websocketUpgrade ? 'ws' : 'http';
  if (headers['x-forwarded-host'] === undefined && headers.host !== undefined) headers['x-forwarded-host'] = headers.host;
}

/** Response headers to relay to the client: the upstream's, minus connection-scoped ones. */
export function downstreamResponseHeaders(upstream: Readonly<MutableHeaders>): MutableHeaders {
  const named = connectionTokens(upstream.connection);
  const out: MutableHeaders = {};
  for (const name in upstream) {
    if (HOP_BY_HOP.has(name) || name.startsWith('proxy-') || (named !== undefined && named.includes(name))) continue;
    out[name] = upstream[name];
  }
  return out;
}

function removeConnectionScoped(headers: MutableHeaders): void {
  const named = connectionTokens(headers.connection);
  if (named !== undefined) for (const name of named) delete headers[name];
  for (const name of HOP_BY_HOP_LIST) if (headers[name] !== undefined) delete headers[name];
  // Proxy-* headers address the proxy (credentials, connection), never the upstream.
  for (const name in headers) if (name.startsWith('proxy-')) delete headers[name];
}

function connectionTokens(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  // "keep-alive" and "close" are the only values almost everyone sends; skip the split then.
  if (joined === 'keep-alive' || joined === 'close' || joined === 'Keep-Alive') return undefined;
  return joined
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.length > 0);
}
