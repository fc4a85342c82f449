// The webhook runner against a real HTTP receiver on 127.0.0.1: payloads and headers as
// Flagger sends them, gates, rollback triggers, retries, deadlines, aborts, bounded reads
// and fire-and-forget events. Needs no Kubernetes (SLUICE_SKIP_CLUSTER=1 is enough).
import { Registry } from 'prom-client';
import { runChecks } from '../../../../analysis/checks-runner.js';
import type { CanaryStatus, CanaryWebhook, WebhookType } from '../../../../crds/index.js';
import { canaryChecksum, type WebhookCanary } from '../../../../operator/canary/webhook-payload.js';
import { WebhookRunner } from '../../../../operator/canary/webhooks.js';
import { closedPort, endlessBody, inSequence, neverAnswer, Receiver, respond, respondAfter, trickle } from './receiver.js';

const STATUS: CanaryStatus = { phase: 'Progressing', lastAppliedSpec: 'rev-7', trackedConfigs: { 'secret/db': 'f00' } };

function canary(webhooks: CanaryWebhook[], status: CanaryStatus = STATUS): WebhookCanary {
  return {
    metadata: { name: 'podinfo', namespace: 'shop' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: { interval: '1m', threshold: 5, stepWeight: 10, webhooks },
      progressDeadlineSeconds: 600,
      revertOnDeletion: true,
    },
    status,
  };
}

let receiver: Receiver;
let registry: Registry;
let runner: WebhookRunner;

const hook = (name: string, type: WebhookType, extra: Partial<CanaryWebhook> = {}): CanaryWebhook => ({ name, type, url: receiver.url(`/${name}`), ...extra });

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

beforeAll(async () => {
  receiver = await Receiver.start();
});

afterAll(async () => {
  await receiver.close();
});

beforeEach(() => {
  receiver.reset();
  registry = new Registry();
  runner = new WebhookRunner({ registry, backoff: { initialMs: 50, maxMs: 200, factor: 2 }, now: () => new Date('2026-11-21T10:00:00.000Z') });
});

afterEach(async () => {
  await runner.close();
});

describe('payloads', () => {
  it('posts each hook type its Flagger payload as JSON', async () => {
    const types: WebhookType[] = ['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'post-rollout', 'rollback', 'event'];
    const hooks = types.map((type) => hook(type, type, { metadata: { purpose: `test ${type}` } }));
    for (const type of types) receiver.on(`/${type}`, respond(200, 'ok'));
    const c = canary(hooks);
    const succeeded = canary(hooks, { ...STATUS, phase: 'Succeeded' });

    expect((await runner.gate(c, 'confirm-rollout')).value).toBe(true);
    expect((await runner.preRollout(c)).ok).toBe(true);
    expect((await runner.rollout(c)).map((r) => r.ok)).toEqual([true]);
    expect((await runner.gate(c, 'confirm-traffic-increase')).value).toBe(true);
    expect((await runner.gate(c, 'confirm-promotion')).value).toBe(true);
    expect((await runner.gate(c, 'rollback')).value).toBe(true);
    expect((await runner.postRollout(succeeded)).map((o) => o.ok)).toEqual([true]);
    runner.notify(c, { eventType: 'Normal', message: 'Advanced to canary weight 20%' });
    await receiver.waitFor('/event');

    const checksum = canaryChecksum(STATUS);
    for (const type of types) {
      const [request, ...more] = receiver.to(`/${type}`);
      expect(more).toHaveLength(0);
      expect(request?.method).toBe('POST');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.headers['user-agent']).toBe('sluice-operator');
      expect(Number(request?.headers['content-length'])).toBe(Buffer.byteLength(request?.body ?? ''));
      const phase = type === 'post-rollout' ? 'Succeeded' : 'Progressing';
      const metadata =
        type === 'event'
          ? { purpose: 'test event', eventMessage: 'Advanced to canary weight 20%', eventType: 'Normal', timestamp: String(Date.parse('2026-11-21T10:00:00.000Z')) }
          : { purpose: `test ${type}` };
      expect(JSON.parse(request?.body ?? '')).toEqual({ name: 'podinfo', namespace: 'shop', phase, checksum, type, metadata });
    }
  });
});

describe('gates', () => {
  it('open when every confirm hook answers 2xx, closed when one refuses; later hooks are not asked', async () => {
    receiver.on('/approve', respond(200, 'approved')).on('/deny', respond(403, 'waiting for QA sign-off')).on('/after', respond(200));
    const open = await runner.gate(canary([hook('approve', 'confirm-promotion')]), 'confirm-promotion');
    expect(open).toEqual({ value: true, message: 'approve answered 200 OK: approved' });

    const closed = await runner.gate(canary([hook('approve', 'confirm-promotion'), hook('deny', 'confirm-promotion'), hook('after', 'confirm-promotion')]), 'confirm-promotion');
    expect(closed).toEqual({ value: false, message: 'deny answered 403 Forbidden: waiting for QA sign-off' });
    expect(receiver.to('/after')).toHaveLength(0);
    expect(await metricValue('sluice_webhook_calls_total', { type: 'confirm-promotion', result: 'rejected' })).toBe(1);
    expect(await metricValue('sluice_webhook_calls_total', { type: 'confirm-promotion', result: 'success' })).toBe(2);
  });

  it('stay closed when the gate cannot be reached, without retrying a refusal', async () => {
    const port = await closedPort();
    const unreachable = await runner.gate(canary([{ name: 'gone', type: 'confirm-rollout', url: `http://127.0.0.1:${port}/gate`, retries: 1 }]), 'confirm-rollout');
    expect(unreachable.value).toBe(false);
    expect(unreachable.message).toMatch(/^gone could not be called: .*ECONNREFUSED.* \(2 attempts\)$/);

    receiver.on('/deny', respond(403));
    const refused = await runner.gate(canary([hook('deny', 'confirm-rollout', { retries: 3 })]), 'confirm-rollout');
    expect(refused.value).toBe(false);
    expect(receiver.to('/deny')).toHaveLength(1);
  });

  it('answer the needs of a state-machine call in the shape of its Answers', async () => {
    receiver.on('/approve', respond(200)).on('/kill', respond(404)).on('/smoke', respond(500, 'smoke test failed'));
    const c = canary([hook('approve', 'confirm-traffic-increase'), hook('kill', 'rollback'), hook('smoke', 'pre-rollout')]);
    const answers = await runner.answer(c, [
      { type: 'gate', webhook: 'confirm-traffic-increase' },
      { type: 'gate', webhook: 'rollback' },
      { type: 'pre-rollout' },
      { type: 'analysis', windowStart: '2026-11-21T09:59:00Z', early: false },
    ]);
    expect(answers).toEqual({
      gates: {
        'confirm-traffic-increase': { value: true, message: 'approve answered 200 OK' },
        rollback: { value: false, message: 'no rollback requested: kill answered 404 Not Found' },
      },
      preRollout: { ok: false, message: 'smoke answered 500 Internal Server Error: smoke test failed' },
    });
  });
});

describe('rollback hooks', () => {
  it('trigger a rollback when one answers 2xx, and not on errors', async () => {
    const port = await closedPort();
    receiver.on('/quiet', respond(404)).on('/abort', respond(200, 'manual abort by on-call'));
    const c = canary([{ name: 'down', type: 'rollback', url: `http://127.0.0.1:${port}/` }, hook('quiet', 'rollback'), hook('abort', 'rollback')]);
    expect(await runner.gate(c, 'rollback')).toEqual({ value: true, message: 'abort answered 200 OK: manual abort by on-call' });

    const calm = canary([{ name: 'down', type: 'rollback', url: `http://127.0.0.1:${port}/` }, hook('quiet', 'rollback')]);
    const answer = await runner.gate(calm, 'rollback');
    expect(answer.value).toBe(false);
    expect(answer.message).toMatch(/^no rollback requested: down could not be called: .*ECONNREFUSED.*; quiet answered 404 Not Found$/);
  });
});

describe('checks', () => {
  it('recover from a 503 by retrying with back-off', async () => {
    receiver.on('/smoke', inSequence(respond(503, 'warming up'), respond(200, 'ok')));
    const answer = await runner.preRollout(canary([hook('smoke', 'pre-rollout', { retries: 2 })]));
    expect(answer).toEqual({ ok: true, message: 'smoke answered 200 OK: ok (2 attempts)' });
    const [first, second] = receiver.to('/smoke');
    expect(second!.receivedAt - first!.endedAt!).toBeGreaterThanOrEqual(45);
    expect(await metricValue('sluice_webhook_retries_total', { type: 'pre-rollout' })).toBe(1);
  });

  it('fail after the last retry with the status and a bounded excerpt of the body', async () => {
    receiver.on('/smoke', respond(503, `overloaded ${'x'.repeat(1_000_000)}`));
    const started = Date.now();
    const answer = await runner.preRollout(canary([hook('smoke', 'pre-rollout', { retries: 2 })]));
    expect(answer.ok).toBe(false);
    expect(answer.message).toMatch(/^smoke answered 503 Service Unavailable: overloaded x+… \(3 attempts\)$/);
    expect(answer.message.length).toBeLessThan(260);
    expect(receiver.to('/smoke')).toHaveLength(3);
    // Back-off 50 ms then 100 ms between the attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('read only the start of a huge response and hang up on the rest', async () => {
    const written = { bytes: 0 };
    receiver.on('/huge', endlessBody(256 * 1024 * 1024, written));
    const [result] = await runner.rollout(canary([hook('huge', 'rollout')]));
    expect(result?.ok).toBe(false);
    expect(result?.message).toMatch(/^huge answered 500 Internal Server Error: x{199}…$/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.to('/huge')[0]?.clientGaveUp).toBe(true);
    // Socket buffers hold some megabytes at most; the body was a quarter of a gigabyte.
    expect(written.bytes).toBeLessThan(16 * 1024 * 1024);
  });

  it('honour the timeout over the whole exchange, also for a body that trickles in', async () => {
    receiver.on('/slow', respondAfter(5_000, 200)).on('/drip', trickle(100, 100));
    let started = Date.now();
    const slow = await runner.rollout(canary([hook('slow', 'rollout', { timeout: '1s' })]));
    const slowElapsed = Date.now() - started;
    expect(slow).toEqual([{ name: 'slow', ok: false, message: 'slow did not answer within 1s', durationMs: expect.any(Number) }]);
    expect(slowElapsed).toBeGreaterThanOrEqual(990);
    expect(slowElapsed).toBeLessThan(2_000);

    started = Date.now();
    const drip = await runner.rollout(canary([hook('drip', 'rollout', { timeout: '1s' })]));
    expect(drip[0]?.message).toBe('drip did not answer within 1s');
    expect(Date.now() - started).toBeLessThan(2_000);
    // The receiver saw the client hang up on it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.to('/drip')[0]?.clientGaveUp).toBe(true);
    expect(await metricValue('sluice_webhook_calls_total', { type: 'rollout', result: 'timeout' })).toBe(2);
  });

  it('run every rollout hook in order, as checks of an analysis step', async () => {
    receiver.on('/load', respondAfter(200, 200, 'load started')).on('/verify', respond(502, 'upstream down')).on('/report', respond(204));
    const c = canary([hook('load', 'rollout'), hook('verify', 'rollout'), hook('report', 'rollout')]);
    const checks = runner.rolloutChecks(c, { type: 'analysis', windowStart: '2026-11-21T09:59:00Z', early: false });
    expect(runner.rolloutChecks(c, { type: 'analysis', windowStart: '2026-11-21T09:59:00Z', early: true })).toEqual([]);

    const step = await runChecks(checks, { deadlineMs: 10_000 });
    expect(step.verdict).toBe('fail');
    expect(step.results.map((r) => [r.metric, r.verdict, r.reason])).toEqual([
      ['webhook/load', 'pass', 'load answered 200 OK: load started'],
      ['webhook/verify', 'fail', 'verify answered 502 Bad Gateway: upstream down'],
      ['webhook/report', 'pass', 'report answered 204 No Content'],
    ]);
    const [load, verify] = [receiver.to('/load')[0]!, receiver.to('/verify')[0]!];
    expect(verify.receivedAt).toBeGreaterThanOrEqual(load.endedAt!);
  });
});

describe('cancellation', () => {
  it('aborts a hook that never answers as soon as the controller stops', async () => {
    receiver.on('/hang', neverAnswer);
    const controller = new AbortController();
    const started = Date.now();
    const pending = runner.gate(canary([hook('hang', 'confirm-rollout')]), 'confirm-rollout', controller.signal);
    await receiver.waitFor('/hang');
    controller.abort(new Error('controller stopping'));
    await expect(pending).rejects.toThrow('controller stopping');
    expect(Date.now() - started).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.to('/hang')[0]?.clientGaveUp).toBe(true);
    expect(await metricValue('sluice_webhook_calls_total', { type: 'confirm-rollout', result: 'aborted' })).toBe(1);
  });

  it('aborts the back-off between retries too', async () => {
    receiver.on('/flaky', respond(503));
    const slowRetries = new WebhookRunner({ registry, backoff: { initialMs: 30_000, maxMs: 30_000 } });
    const controller = new AbortController();
    const pending = slowRetries.preRollout(canary([hook('flaky', 'pre-rollout', { retries: 5 })]), controller.signal);
    await receiver.waitFor('/flaky');
    const started = Date.now();
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(500);
    expect(receiver.to('/flaky')).toHaveLength(1);
    await slowRetries.close();
  });
});

describe('event hooks', () => {
  it('are fired and forgotten; closing the runner cuts off the slow ones', async () => {
    receiver.on('/audit', respondAfter(300, 200)).on('/stuck', neverAnswer);
    const c = canary([hook('audit', 'event'), hook('stuck', 'event')]);
    const started = Date.now();
    runner.notify(c, { eventType: 'Warning', message: 'Rolled back revision rev-7' });
    expect(Date.now() - started).toBeLessThan(50);
    expect(runner.pendingEvents).toBe(2);

    const [audit] = await receiver.waitFor('/audit');
    expect(JSON.parse(audit!.body).metadata).toEqual({ eventMessage: 'Rolled back revision rev-7', eventType: 'Warning', timestamp: String(Date.parse('2026-11-21T10:00:00.000Z')) });
    await receiver.waitFor('/stuck');
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(runner.pendingEvents).toBe(1);

    const closing = Date.now();
    await runner.close();
    expect(Date.now() - closing).toBeLessThan(500);
    expect(runner.pendingEvents).toBe(0);
    runner.notify(c, { eventType: 'Normal', message: 'after close' });
    expect(runner.pendingEvents).toBe(0);
  });

  it('drop calls beyond the in-flight limit instead of piling up', async () => {
    receiver.on('/stuck', neverAnswer);
    const bounded = new WebhookRunner({ registry, maxPendingEvents: 3 });
    const c = canary([hook('stuck', 'event')]);
    for (let i = 0; i < 5; i += 1) bounded.notify(c, { eventType: 'Normal', message: `event ${i}` });
    expect(bounded.pendingEvents).toBe(3);
    expect(await metricValue('sluice_webhook_events_dropped_total', {})).toBe(2);
    await bounded.close();
    expect(bounded.pendingEvents).toBe(0);
  });
});
