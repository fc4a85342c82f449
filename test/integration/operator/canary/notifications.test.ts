// Notifications through the controller, on real components (see support.ts) and real HTTP
// receivers on loopback: a generic AlertProvider whose Secret holds the address and a
// signing `token`, and a Slack-compatible one that only hears errors. A revision answering
// 30% errors is rolled back: the generic receiver gets the RolledBack event, signed, with
// the failing metric, value and threshold; Slack gets it as a message and nothing less severe.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { verifySignature } from '../../../../operator/notifications/signature.js';
import { core, custom, CanaryTestEnv, canaryFor } from './support.js';

const TOKEN = 'a-signing-key-for-the-test';

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  at: Date;
}

const deliveries: Delivery[] = [];
const receiver = createServer((req, res) => {
  let raw = '';
  req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
  req.on('end', () => {
    deliveries.push({ path: req.url ?? '', headers: req.headers, raw, at: new Date() });
    res.writeHead(200).end('ok');
  });
});

const env = new CanaryTestEnv('canary-notify', '127.18.254.9').hooks(start, stopReceiver);

async function start(): Promise<void> {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await env.start(
    canaryFor({
      alerts: [
        { name: 'ops', severity: 'info', providerRef: { name: 'ops-webhook' } },
        { name: 'chat', severity: 'error', providerRef: { name: 'chat' } },
      ],
    }),
  );
  const namespace = env.namespace;
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'ops-webhook' }, stringData: { address: `http://127.0.0.1:${port}/generic`, token: TOKEN } },
  });
  const provider = (name: string, spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'alertproviders',
      body: { apiVersion: 'sluice.dev/v1alpha1', kind: 'AlertProvider', metadata: { name }, spec },
    });
  await provider('ops-webhook', { type: 'generic', secretRef: { name: 'ops-webhook' } });
  await provider('chat', { type: 'slack', channel: 'deploys', address: `http://127.0.0.1:${port}/slack` });
}

async function stopReceiver(): Promise<void> {
  await new Promise<void>((resolve) => {
    receiver.close(() => resolve());
    receiver.closeAllConnections();
  });
}

async function waitForDelivery(test: (d: Delivery) => boolean): Promise<Delivery> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const found = deliveries.find(test);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no such delivery; got ${deliveries.map((d) => `${d.path} ${d.raw.slice(0, 120)}`).join('\n')}`);
}

describe('canary controller: notifications', () => {
  it('sends the RolledBack event, signed, to the generic receiver and to Slack', async () => {
    const port = await env.initialize();
    const before = (await env.readCanary()).status?.lastAppliedSpec;
    await env.rollOut('v2-bad', { errorRate: 0.3 });
    // The analysis must have traffic: send some through the waypoint.
    const load = env.clientLoad(port);
    const failed = await env.waitForPhase('Failed', 90_000, undefined, 100, before);
    await load.stop();

    const rolledBack = await waitForDelivery((d) => d.path === '/generic' && d.raw.includes('"RolledBack"'));
    const check = verifySignature(
      TOKEN,
      rolledBack.raw,
      { timestamp: rolledBack.headers['x-sluice-timestamp'] as string | undefined, signature: rolledBack.headers['x-sluice-signature'] as string | undefined },
      rolledBack.at,
    );
    expect(check).toEqual({ valid: true });
    // A forged body does not pass with the same headers.
    expect(verifySignature(TOKEN, rolledBack.raw.replace('RolledBack', 'Promoted'), { timestamp: rolledBack.headers['x-sluice-timestamp'] as string, signature: rolledBack.headers['x-sluice-signature'] as string }, rolledBack.at).valid).toBe(false);
    const payload = JSON.parse(rolledBack.raw) as Record<string, unknown> & { metadata: Record<string, string> };
    expect(payload).toMatchObject({ name: 'podinfo', namespace: env.namespace, event: 'RolledBack', severity: 'error', phase: 'Failed' });
    expect(payload.image).toBe('sluice.dev/demo-app:v2-bad');
    expect(payload.message).toMatch(/request-success-rate/);
    expect(payload.metric).toBe('request-success-rate');
    expect(payload.value).toBeLessThan(99);
    expect(payload.threshold).toEqual({ min: 99 });
    expect(payload.metadata.eventType).toBe('Warning');
    expect(payload.revision).toBe(failed.status?.lastAppliedSpec);

    // The info-level alert heard the start of the rollout too; Slack (errors only) did not.
    await waitForDelivery((d) => d.path === '/generic' && d.raw.includes('"Progressing"'));
    const slack = await waitForDelivery((d) => d.path === '/slack');
    const slackBody = JSON.parse(slack.raw) as { text: string; channel?: string };
    expect(slackBody.text).toMatch(/request-success-rate/);
    expect(slackBody.channel).toBe('deploys');
    const slackMessages = deliveries.filter((d) => d.path === '/slack').map((d) => (JSON.parse(d.raw) as { text: string }).text);
    expect(slackMessages.filter((t) => /Progressing|new revision/i.test(t))).toEqual([]);
    process.stdout.write(
      `[canary-notify] generic deliveries: ${deliveries.filter((d) => d.path === '/generic').length} (RolledBack signature valid); slack deliveries: ${slackMessages.length}\n`,
    );
  });
});
