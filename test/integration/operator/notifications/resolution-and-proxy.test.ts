// Provider resolution at send time (a Secret that appears later is picked up; a missing
// AlertProvider is given up at once) and delivery through a real forward proxy on loopback
// that demands credentials.
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import { Receiver, reply } from './receivers.js';
import { NAMESPACE, alertProvider, canary, counter, secret, until, world, type World } from './harness.js';

describe('notification provider resolution and proxies', () => {
  const receivers: Receiver[] = [];
  const servers: Server[] = [];
  let w: World | undefined;

  async function receiver(): Promise<[Receiver, string]> {
    const r = new Receiver((_req, res) => reply(res, 200, 'ok'));
    receivers.push(r);
    return [r, await r.start()];
  }

  afterEach(async () => {
    await w?.dispatcher.close();
    w = undefined;
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    }
  });

  it('gives up at once on a missing AlertProvider, and counts it as unresolved', async () => {
    w = world();
    w.notifier.notify(canary([{ name: 'ghost', severity: 'info', providerRef: { name: 'ghost' } }]), { reason: 'Promoted', severity: 'info', message: 'ok' });
    expect(await w.dispatcher.flush(5_000)).toBe(true);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/ghost', result: 'unresolved' })).toBe(1);
    expect(w.logLines.filter((line) => line.includes('AlertProvider apps/ghost not found'))).toHaveLength(1);
  });

  it('retries while the Secret is missing and delivers once it appears', async () => {
    w = world();
    const [hook, hookUrl] = await receiver();
    w.providers.set(`${NAMESPACE}/hook`, alertProvider('hook', { type: 'generic', secretRef: { name: 'late' } }));
    w.notifier.notify(canary([{ name: 'hook', severity: 'info', providerRef: { name: 'hook' } }]), { reason: 'Promoted', severity: 'info', message: 'ok' });

    // Created by GitOps a moment after the provider, once the first attempt has missed it.
    const logs = w.logLines;
    await until(() => logs.some((line) => line.includes('Secret apps/late not found')));
    w.secrets.set(`${NAMESPACE}/late`, secret({ address: `${hookUrl}/events` }));
    expect(await w.dispatcher.flush(5_000)).toBe(true);

    expect(hook.requests).toHaveLength(1);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/hook', result: 'delivered' })).toBe(1);
  });

  it('sends through the provider’s HTTP proxy, with the credentials from the proxy URL', async () => {
    w = world();
    const [hook, hookUrl] = await receiver();
    const seen: { url: string; auth: string | undefined }[] = [];
    const forwarder = httpProxy.createProxyServer({});
    const proxy = createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers['proxy-authorization'] });
      if (req.headers['proxy-authorization'] !== `Basic ${Buffer.from('notify:p@ss').toString('base64')}`) {
        res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="test"' });
        res.end();
        return;
      }
      // A forward proxy gets the absolute URL and sends the request on to its origin.
      forwarder.web(req, res, { target: new URL(req.url ?? '/').origin }, () => reply(res, 502));
    });
    servers.push(proxy);
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const proxyUrl = `http://notify:p%40ss@127.0.0.1:${(proxy.address() as AddressInfo).port}`;

    w.providers.set(`${NAMESPACE}/proxied`, alertProvider('proxied', { type: 'slack', secretRef: { name: 'proxied' } }));
    // The proxy URL carries a password, so it lives in the Secret (key proxy) like the address.
    w.secrets.set(`${NAMESPACE}/proxied`, secret({ address: `${hookUrl}/services/x`, proxy: proxyUrl }));
    w.notifier.notify(canary([{ name: 'p', severity: 'info', providerRef: { name: 'proxied' } }]), { reason: 'Promoted', severity: 'info', message: 'ok' });
    expect(await w.dispatcher.flush(5_000)).toBe(true);

    expect(seen).toEqual([{ url: `${hookUrl}/services/x`, auth: `Basic ${Buffer.from('notify:p@ss').toString('base64')}` }]);
    expect(hook.requests).toHaveLength(1);
    expect(hook.json(0)).toMatchObject({ attachments: [{ title: 'Promoted podinfo.apps' }] });
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/proxied', result: 'delivered' })).toBe(1);
    forwarder.close();
  });
});
