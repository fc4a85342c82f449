import { downstreamResponseHeaders, prepareUpstreamRequestHeaders } from '../../../proxy/upstream-headers.js';

describe('request headers sent upstream', () => {
  it('drops hop-by-hop headers and those named in Connection, and sets x-forwarded-*', () => {
    const h: Record<string, string | string[] | undefined> = {
      host: 'podinfo:9898',
      connection: 'keep-alive, X-Debug-Hop',
      'keep-alive': 'timeout=5',
      'x-debug-hop': '1',
      'proxy-authorization': 'Basic x',
      'proxy-connection': 'keep-alive',
      'proxy-custom': 'x',
      te: 'trailers',
      trailer: 'x',
      upgrade: 'h2c',
      expect: '100-continue',
      accept: '*/*',
    };
    prepareUpstreamRequestHeaders(h, { clientAddress: '10.1.2.3', websocketUpgrade: false });
    expect(h).toEqual({
      host: 'podinfo:9898',
      accept: '*/*',
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'podinfo:9898',
    });
  });

  it('appends to an existing x-forwarded-for and keeps proto and host from an ingress', () => {
    const h: Record<string, string | string[] | undefined> = {
      host: 'internal',
      'x-forwarded-for': '1.1.1.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example.com',
    };
    prepareUpstreamRequestHeaders(h, { clientAddress: '10.0.0.9', websocketUpgrade: false });
    expect(h['x-forwarded-for']).toBe('1.1.1.1, 10.0.0.9');
    expect(h['x-forwarded-proto']).toBe('https');
    expect(h['x-forwarded-host']).toBe('shop.example.com');
  });

  it('keeps chunked framing for a body without length', () => {
    const h: Record<string, string | string[] | undefined> = { 'transfer-encoding': 'gzip, chunked' };
    prepareUpstreamRequestHeaders(h, { clientAddress: undefined, websocketUpgrade: false });
    expect(h['transfer-encoding']).toBe('chunked');
    expect(h['x-forwarded-for']).toBeUndefined();
  });

  it('keeps the upgrade pair for a WebSocket handshake', () => {
    const h: Record<string, string | string[] | undefined> = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' };
    prepareUpstreamRequestHeaders(h, { clientAddress: '::1', websocketUpgrade: true });
    expect(h).toMatchObject({ connection: 'upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k', 'x-forwarded-proto': 'ws' });
  });
});

describe('response headers relayed downstream', () => {
  it('drops hop-by-hop headers and keeps the rest, arrays included', () => {
    expect(
      downstreamResponseHeaders({
        connection: 'close, x-internal',
        'x-internal': 'secret',
        'keep-alive': 'timeout=5',
        'proxy-authenticate': 'Basic',
        'transfer-encoding': 'chunked',
        'content-type': 'text/plain',
        'set-cookie': ['a=1', 'b=2'],
      }),
    ).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });
});
