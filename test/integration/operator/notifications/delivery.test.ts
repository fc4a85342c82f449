// Notifications delivered over real HTTP to receivers on 127.0.0.1: Slack-, Teams- and
// Discord-shaped receivers that check the JSON they get, a generic receiver that verifies
// the HMAC signature with its own code, and hung, flaky and rate-limiting receivers.
// No Kubernetes: AlertProviders and Secrets come from plain maps (see harness.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertProviderRef } from '../../../../operator/notifications/alert-routing.js';
import type { ResolvedProvider } from '../../../../operator/notifications/provider-resolution.js';
import { type ReceivedRequest, Receiver, reply } from './receivers.js';
import { NAMESPACE, alertProvider, canary, counter, secret, until, world, type World } from './harness.js';

const SIGNING_KEY = 'whsec_3c1f0a9e8b7d';

/** What a Slack incoming webhook insists on, roughly: JSON with text or attachments, well-formed fields. */
function slackShapeProblem(request: ReceivedRequest): string | undefined {
  if (!request.headers['content-type']?.startsWith('application/json')) return 'content type';
  const body = JSON.parse(request.body) as Record<string, unknown>;
  if (typeof body.text !== 'string') return 'text';
  const attachments = body.attachments as Record<string, unknown>[] | undefined;
  const first = attachments?.[0];
  if (!first || typeof first.color !== 'string' || !/^#[0-9A-F]{6}$/.test(first.color)) return 'attachment color';
  const fields = first.fields as { title?: unknown; value?: unknown; short?: unknown }[];
  if (!Array.isArray(fields) || !fields.every((f) => typeof f.title === 'string' && typeof f.value === 'string' && typeof f.short === 'boolean')) return 'fields';
  return undefined;
}

/** The receiving side of the signature, written from the documented scheme, not from our code. */
function signatureValid(request: ReceivedRequest, key: string): boolean {
  const timestamp = request.headers['x-sluice-timestamp'];
  const signature = request.headers['x-sluice-signature'];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from('sha256=' + createHmac('sha256', key).update(`${timestamp}.${request.body}`).digest('hex'));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

describe('notification delivery over HTTP', () => {
  const receivers: Receiver[] = [];
  let w: World | undefined;

  async function receiver(handler: ConstructorParameters<typeof Receiver>[0]): Promise<[Receiver, string]> {
    const r = new Receiver(handler);
    receivers.push(r);
    return [r, await r.start()];
  }

  afterEach(async () => {
    await w?.dispatcher.close();
    w = undefined;
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it('delivers to Slack, Teams, Discord and a signed generic webhook, each in its own shape', async () => {
    w = world();
    const [slack, slackUrl] = await receiver((req, res) => {
      const problem = slackShapeProblem(req);
      reply(res, problem ? 400 : 200, problem ? `invalid_payload: ${problem}` : 'ok');
    });
    const [teams, teamsUrl] = await receiver((_req, res) => reply(res, 202));
    const [discord, discordUrl] = await receiver((_req, res) => reply(res, 204));
    const [generic, genericUrl] = await receiver((req, res) => reply(res, signatureValid(req, SIGNING_KEY) ? 200 : 401));

    w.providers.set(`${NAMESPACE}/slack`, alertProvider('slack', { type: 'slack', secretRef: { name: 'slack-url' }, channel: '#deploys' }));
    w.secrets.set(`${NAMESPACE}/slack-url`, secret({ address: `${slackUrl}/services/T0/B0/secretpath` }));
    w.providers.set(`${NAMESPACE}/teams`, alertProvider('teams', { type: 'msteams', address: `${teamsUrl}/workflows/abc` }));
    w.providers.set(`${NAMESPACE}/discord`, alertProvider('discord', { type: 'discord', address: `${discordUrl}/api/webhooks/1/xyz` }));
    w.providers.set(`${NAMESPACE}/hook`, alertProvider('hook', { type: 'generic', secretRef: { name: 'hook' } }));
    w.secrets.set(`${NAMESPACE}/hook`, secret({ address: `${genericUrl}/events`, token: SIGNING_KEY }));

    const subject = canary([
      { name: 'slack', severity: 'info', providerRef: { name: 'slack' } },
      { name: 'teams', severity: 'info', providerRef: { name: 'teams' } },
      { name: 'discord', severity: 'info', providerRef: { name: 'discord', namespace: NAMESPACE } },
      { name: 'hook', severity: 'warn', providerRef: { name: 'hook' } },
    ]);
    w.notifier.notify(subject, { reason: 'WeightIncreased', severity: 'info', message: 'Advanced to 20%' });
    const result = w.notifier.notify(subject, {
      reason: 'RolledBack',
      severity: 'error',
      message: 'Rolled back: request-success-rate 80.25 < 99',
      details: { image: 'ghcr.io/stefanprodan/podinfo:6.5.1', phase: 'Failed', weight: 0 },
    });
    expect(result.providers).toEqual(['apps/slack', 'apps/teams', 'apps/discord', 'apps/hook']);
    expect(await w.dispatcher.flush(10_000)).toBe(true);

    // The generic webhook asked for warn and above: only the rollback reached it.
    expect([slack.requests.length, teams.requests.length, discord.requests.length, generic.requests.length]).toEqual([2, 2, 2, 1]);
    expect(slack.requests.map((r) => r.url)).toEqual(['/services/T0/B0/secretpath', '/services/T0/B0/secretpath']);
    expect(slack.json(1)).toMatchObject({
      channel: '#deploys',
      attachments: [{ color: '#A30200', title: 'Rolled back podinfo.apps', fields: expect.arrayContaining([{ title: 'Metric', value: 'request-success-rate', short: true }]) }],
    });
    expect(teams.json(1)).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }] });
    expect(discord.json(0)).toMatchObject({ embeds: [{ title: 'Weight increased podinfo.apps', color: 0x2eb886 }] });

    const [signed] = generic.requests;
    if (!signed) throw new Error('no generic request');
    expect(signatureValid(signed, SIGNING_KEY)).toBe(true);
    expect(JSON.parse(signed.body)).toMatchObject({
      name: 'podinfo',
      namespace: 'apps',
      phase: 'Failed',
      event: 'RolledBack',
      severity: 'error',
      revision: '7d9f8c6b5a',
      image: 'ghcr.io/stefanprodan/podinfo:6.5.1',
      weight: 0,
      metric: 'request-success-rate',
      value: 80.25,
      threshold: { min: 99 },
    });
    for (const provider of ['apps/slack', 'apps/teams', 'apps/discord']) {
      expect(await counter(w.registry, 'sluice_notifications_total', { provider, result: 'delivered' })).toBe(2);
    }
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/hook', result: 'delivered' })).toBe(1);
    expect(await counter(w.registry, 'sluice_notifications_total', { result: 'failed' })).toBe(0);
  });

  it('does not retry a receiver that refuses the signature, and never logs the webhook URL', async () => {
    w = world();
    const [generic, genericUrl] = await receiver((req, res) => reply(res, signatureValid(req, 'the-receivers-key') ? 200 : 401));
    w.providers.set(`${NAMESPACE}/hook`, alertProvider('hook', { type: 'generic', secretRef: { name: 'hook' } }));
    w.secrets.set(`${NAMESPACE}/hook`, secret({ address: `${genericUrl}/hooks/SECRETPATH`, token: 'a-different-key' }));

    w.notifier.notify(canary([{ name: 'hook', severity: 'info', providerRef: { name: 'hook' } }]), { reason: 'Promoted', severity: 'info', message: 'promoted' });
    await w.dispatcher.flush(10_000);

    expect(generic.requests).toHaveLength(1);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/hook', result: 'failed' })).toBe(1);
    expect(await counter(w.registry, 'sluice_notification_attempts_total', { provider: 'apps/hook', outcome: 'http_4xx' })).toBe(1);
    const failure = w.logLines.find((line) => line.includes('notification not delivered'));
    expect(failure).toContain('"status":401');
    expect(failure).toContain(`"destination":"${genericUrl}"`);
    expect(w.logLines.join('\n')).not.toContain('SECRETPATH');
  });

  it('delivers exactly once to a receiver that fails twice with 503 first', async () => {
    w = world();
    const [flaky, flakyUrl] = await receiver((_req, res, index) => (index < 2 ? reply(res, 503, 'busy') : reply(res, 200, 'ok')));
    w.providers.set(`${NAMESPACE}/flaky`, alertProvider('flaky', { type: 'generic', address: `${flakyUrl}/events` }));

    w.notifier.notify(canary([{ name: 'flaky', severity: 'info', providerRef: { name: 'flaky' } }]), { reason: 'Promoted', severity: 'info', message: 'promoted' });
    expect(await w.dispatcher.flush(10_000)).toBe(true);

    expect(flaky.requests).toHaveLength(3);
    // Every attempt carries the same event: a receiver that half-processed one can dedupe by id.
    const ids = flaky.requests.map((r) => (JSON.parse(r.body) as { id: string }).id);
    expect(new Set(ids).size).toBe(1);
    expect(await counter(w.registry, 'sluice_notification_attempts_total', { provider: 'apps/flaky', outcome: 'http_5xx' })).toBe(2);
    expect(await counter(w.registry, 'sluice_notification_attempts_total', { provider: 'apps/flaky', outcome: 'delivered' })).toBe(1);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/flaky', result: 'delivered' })).toBe(1);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/flaky', result: 'failed' })).toBe(0);
  });

  it('waits as long as a 429’s Retry-After says before trying again', async () => {
    w = world();
    const [limited, limitedUrl] = await receiver((_req, res, index) => (index === 0 ? reply(res, 429, 'slow down', { 'Retry-After': '1' }) : reply(res, 200)));
    w.providers.set(`${NAMESPACE}/limited`, alertProvider('limited', { type: 'slack', address: `${limitedUrl}/services/x` }));

    w.notifier.notify(canary([{ name: 'l', severity: 'info', providerRef: { name: 'limited' } }]), { reason: 'Promoted', severity: 'info', message: 'promoted' });
    expect(await w.dispatcher.flush(10_000)).toBe(true);

    const [first, second] = limited.requests;
    if (!first || !second) throw new Error('expected two requests');
    // Our back-off alone would have retried after about 50 ms.
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(await counter(w.registry, 'sluice_notification_attempts_total', { provider: 'apps/limited', outcome: 'http_429' })).toBe(1);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/limited', result: 'delivered' })).toBe(1);
  });

  it('returns from notify() at once and delivers elsewhere while one receiver hangs for 10 s', async () => {
    w = world({ attemptTimeoutMs: 15_000 });
    const [slow, slowUrl] = await receiver((_req, res) => slow.later(10_000, () => reply(res, 200)));
    const [fast, fastUrl] = await receiver((_req, res) => reply(res, 200, 'ok'));
    w.providers.set(`${NAMESPACE}/slow`, alertProvider('slow', { type: 'generic', address: `${slowUrl}/events` }));
    w.providers.set(`${NAMESPACE}/fast`, alertProvider('fast', { type: 'slack', address: `${fastUrl}/services/x` }));
    const subject = canary([
      { name: 'slow', severity: 'info', providerRef: { name: 'slow' } },
      { name: 'fast', severity: 'info', providerRef: { name: 'fast' } },
    ]);

    const started = performance.now();
    const reasons = ['Progressing', 'WeightIncreased', 'Promoted'];
    for (const reason of reasons) w.notifier.notify(subject, { reason, severity: 'info', message: reason });
    const notifyMs = performance.now() - started;
    // notify() is synchronous: nothing has been sent when it returns.
    expect(slow.requests.length + fast.requests.length).toBe(0);
    expect(notifyMs).toBeLessThan(500);

    // The fast receiver gets all three, in order, while the slow one still holds the first.
    await fast.waitFor(3, 5_000);
    const fastDoneMs = performance.now() - started;
    expect(fast.requests.map((r) => (JSON.parse(r.body) as { attachments: { title: string }[] }).attachments[0]?.title)).toEqual([
      'Progressing podinfo.apps',
      'Weight increased podinfo.apps',
      'Promoted podinfo.apps',
    ]);
    expect(slow.requests).toHaveLength(1);
    expect(slow.open).toBe(1);
    expect(fastDoneMs).toBeLessThan(5_000);
    const dispatcher = w.dispatcher;
    // The last answer from the fast receiver may still be on its way back.
    await until(() => dispatcher.pending === 3);

    // Shutdown does not wait for the hung receiver: the in-flight and queued ones are dropped.
    await w.dispatcher.close();
    expect(w.dispatcher.pending).toBe(0);
    expect(performance.now() - started).toBeLessThan(9_000);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/slow', result: 'dropped' })).toBe(3);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/fast', result: 'delivered' })).toBe(3);
    process.stdout.write(`[notifications] notify() x3: ${notifyMs.toFixed(2)} ms; fast receiver had all 3 after ${fastDoneMs.toFixed(0)} ms\n`);
  });

  it('abandons an attempt at the per-attempt timeout and gives up after maxAttempts', async () => {
    w = world({ attemptTimeoutMs: 300, retry: { maxAttempts: 2, backoff: { initialMs: 50, maxMs: 50 }, maxRetryAfterMs: 1_000 } });
    const [hung, hungUrl] = await receiver((_req, res) => hung.later(10_000, () => reply(res, 200)));
    w.providers.set(`${NAMESPACE}/hung`, alertProvider('hung', { type: 'discord', address: `${hungUrl}/api/webhooks/1/x` }));

    const started = performance.now();
    w.notifier.notify(canary([{ name: 'h', severity: 'info', providerRef: { name: 'hung' } }]), { reason: 'Promoted', severity: 'info', message: 'promoted' });
    expect(await w.dispatcher.flush(5_000)).toBe(true);

    expect(performance.now() - started).toBeGreaterThanOrEqual(600);
    expect(hung.requests).toHaveLength(2);
    expect(await counter(w.registry, 'sluice_notification_attempts_total', { provider: 'apps/hung', outcome: 'timeout' })).toBe(2);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/hung', result: 'failed' })).toBe(1);
  });

  it('loses only the notification whose delivery crashed, not the rest of its queue', async () => {
    const [hook, hookUrl] = await receiver((_req, res) => reply(res, 200));
    let calls = 0;
    // A resolver that breaks the contract once (a type with no renderer), as a bug would.
    const resolver = async (ref: AlertProviderRef): Promise<ResolvedProvider> => {
      calls += 1;
      const type = (calls === 1 ? 'pagerduty' : 'generic') as ResolvedProvider['type'];
      return { ref, type, url: `${hookUrl}/events` };
    };
    w = world({ resolver });
    const { dispatcher, notifier, registry, logLines } = w;
    const subject = canary([{ name: 'hook', severity: 'info', providerRef: { name: 'hook' } }]);
    notifier.notify(subject, { reason: 'First', severity: 'info', message: 'lost' });
    notifier.notify(subject, { reason: 'Second', severity: 'info', message: 'delivered' });
    expect(await dispatcher.flush(5_000)).toBe(true);

    expect(hook.requests.map((r) => (JSON.parse(r.body) as { event: string }).event)).toEqual(['Second']);
    expect(await counter(registry, 'sluice_notifications_total', { provider: 'apps/hook', result: 'failed' })).toBe(1);
    expect(await counter(registry, 'sluice_notifications_total', { provider: 'apps/hook', result: 'delivered' })).toBe(1);
    expect(logLines.filter((line) => line.includes('notification delivery crashed'))).toHaveLength(1);
  });

  it('drops the oldest notification when a destination’s queue is full, and counts it', async () => {
    w = world({ queueCapacity: 2 });
    const held: (() => void)[] = [];
    const [gate, gateUrl] = await receiver((_req, res) => held.push(() => reply(res, 200)));
    w.providers.set(`${NAMESPACE}/gate`, alertProvider('gate', { type: 'generic', address: `${gateUrl}/events` }));
    const subject = canary([{ name: 'g', severity: 'info', providerRef: { name: 'gate' } }]);

    // Delivery starts after notify() returns, so all five meet in the queue of two:
    // E1, E2 and E3 make room for E4 and E5.
    for (const reason of ['E1', 'E2', 'E3', 'E4', 'E5']) w.notifier.notify(subject, { reason, severity: 'info', message: reason });
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/gate', result: 'dropped' })).toBe(3);
    await gate.waitFor(1);
    // The receiver holds every request until released; release them while flushing.
    const flushReleasing = async (): Promise<boolean> => {
      const pump = setInterval(() => held.splice(0).forEach((answer) => answer()), 10);
      try {
        return await (w as World).dispatcher.flush(5_000);
      } finally {
        clearInterval(pump);
      }
    };
    expect(await flushReleasing()).toBe(true);

    expect(gate.requests.map((r) => (JSON.parse(r.body) as { event: string }).event)).toEqual(['E4', 'E5']);
    expect(await counter(w.registry, 'sluice_notifications_total', { provider: 'apps/gate', result: 'delivered' })).toBe(2);
    expect(w.logLines.filter((line) => line.includes('notification queue full'))).toHaveLength(3);

    // With room again, the queue keeps what it is given.
    w.notifier.notify(subject, { reason: 'E6', severity: 'info', message: 'E6' });
    expect(await flushReleasing()).toBe(true);
    expect(gate.requests.map((r) => (JSON.parse(r.body) as { event: string }).event)).toEqual(['E4', 'E5', 'E6']);
  });
});
