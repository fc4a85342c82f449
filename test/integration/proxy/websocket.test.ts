import { waitFor, singleListener, startProxy, Client } from './helpers.js';
import { connectWebSocket, startEchoServer } from './websocket-peer.js';

describe('WebSocket', () => {
  it('echoes through the proxy, following the rules, and closes cleanly on both sides', async () => {
    const primary = await startEchoServer('primary');
    const canary = await startEchoServer('canary');
    const running = await startProxy(
      singleListener(
        [
          { name: 'beta', matches: [{ headers: [{ name: 'x-beta', exact: '1' }] }], backends: [{ name: 'canary', weight: 1 }] },
          { name: 'all', backends: [{ name: 'primary', weight: 1 }] },
        ],
        {
          primary: { endpoints: [{ address: '127.0.0.1', port: primary.port, ready: true }] },
          canary: { endpoints: [{ address: '127.0.0.1', port: canary.port, ready: true }] },
        },
      ),
    );
    try {
      const ws = await connectWebSocket(running.port, '/chat');
      for (const text of ['hello', 'x'.repeat(1_000), 'third']) {
        ws.send(text);
        expect(await ws.next()).toBe(`primary: ${text}`);
      }
      expect(primary.handshakes[0]).toMatchObject({ upgrade: 'websocket', connection: 'upgrade', 'x-forwarded-for': '127.0.0.1' });

      const beta = await connectWebSocket(running.port, '/chat', { 'x-beta': '1' });
      beta.send('hi');
      expect(await beta.next()).toBe('canary: hi');

      expect((await running.proxy.connectionCounts()).tunnels).toBe(2);
      await ws.close();
      await beta.close();
      await waitFor('tunnels to close', async () => (await running.proxy.connectionCounts()).tunnels === 0);
      await waitFor('client sockets to close', async () => (await running.proxy.connectionCounts()).downstream === 0);
      const { body } = await running.proxy.metrics.exposition();
      expect(body).toContain('sluice_requests_total{route="web/all",backend="primary",code="101",mirrored="false"} 1');
    } finally {
      await running.stop();
      await primary.close();
      await canary.close();
    }
  }, 30_000);

  it('refuses the handshake with a clear status when the backend is down or nothing matches', async () => {
    const running = await startProxy(
      singleListener([{ name: 'only', matches: [{ path: { prefix: '/ws' } }], backends: [{ name: 'gone', weight: 1 }] }], {
        gone: { endpoints: [{ address: '127.0.0.1', port: 1, ready: true }] },
      }),
    );
    try {
      await expect(connectWebSocket(running.port, '/ws')).rejects.toThrow('handshake refused with 502');
      await expect(connectWebSocket(running.port, '/other')).rejects.toThrow('handshake refused with 404');
      // Plain HTTP still works on the same listener.
      const client = new Client();
      expect((await client.request(running.port, { path: '/other' })).status).toBe(404);
      client.close();
    } finally {
      await running.stop();
    }
  }, 30_000);
});
