// Webhooks through the controller, on real components (see support.ts) and a real HTTP
// receiver on loopback: every webhook type is called with Flagger's payload; a closed
// confirm-rollout gate holds the rollout in Waiting; a failing pre-rollout webhook fails it;
// a manual promote or abort of a revision held in Waiting is carried out.
import { createServer, type Server } from 'node:http';
import { ACTION_ANNOTATION } from '../../../../crds/action.js';
import type { CanaryWebhook } from '../../../../crds/canary.js';
import { waitFor } from '../../../harness/index.js';
import { apps, CanaryTestEnv, canaryFor, core, sleep } from './support.js';

interface Call {
  path: string;
  at: number;
  body: { name?: string; namespace?: string; phase?: string; checksum?: string; type?: string; metadata?: Record<string, string> };
}

/** Records every POST; answers each path with the status set for it (200 by default). */
class Receiver {
  readonly calls: Call[] = [];
  readonly statusFor = new Map<string, number>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        let parsed: Call['body'] = {};
        try {
          parsed = JSON.parse(body) as Call['body'];
        } catch {
          // Recorded as an empty body: the payload assertions fail on it.
        }
        this.calls.push({ path, at: Date.now(), body: parsed });
        res.writeHead(this.statusFor.get(path) ?? 200).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  of(path: string): Call[] {
    return this.calls.filter((c) => c.path === path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

const receiver = new Receiver();
const TYPES = ['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'post-rollout', 'rollback', 'event'] as const;
const env = new CanaryTestEnv('canary-webhooks', '127.18.254.7').hooks(
  async () => {
    await receiver.start();
    // Flagger's rollback hook rolls back on 2xx: answered 404 it never asks for one.
    receiver.statusFor.set('/rollback', 404);
    // Closed until the test opens it.
    receiver.statusFor.set('/confirm-rollout', 403);
    const webhooks: CanaryWebhook[] = TYPES.map((type) => ({
      name: `${type}-hook`,
      type,
      url: `http://127.0.0.1:${receiver.port}/${type}`,
      timeout: '5s',
      metadata: { suite: 'webhooks', hook: type },
    }));
    await env.start(canaryFor({ webhooks }));
  },
  () => receiver.stop(),
);

function expectPayload(call: Call, type: string, phase: string | RegExp, checksum?: string): void {
  expect(call.body.name).toBe('podinfo');
  expect(call.body.namespace).toBe(env.namespace);
  expect(call.body.type).toBe(type);
  expect(call.body.phase).toMatch(phase);
  expect(call.body.checksum).toMatch(/\S/);
  if (checksum) expect(call.body.checksum).toBe(checksum);
  expect(call.body.metadata).toMatchObject({ suite: 'webhooks', hook: type });
}

describe('canary controller: webhooks', () => {
  let port: number;

  it('initializes', async () => {
    port = await env.initialize();
  });

  it('holds the rollout in Waiting while confirm-rollout is closed, then runs every hook with the Flagger payload', async () => {
    const load = env.clientLoad(port);
    const start = Date.now();
    await env.rollOut('v2');
    await env.waitForPhase('Waiting', 30_000);
    // Held: asked again each interval, no traffic to the new revision, no other hook called.
    await sleep(7_000);
    const held = await env.readCanary();
    expect(held.status?.phase).toBe('Waiting');
    expect(held.status?.canaryWeight ?? 0).toBe(0);
    expect(receiver.of('/confirm-rollout').length).toBeGreaterThanOrEqual(2);
    expect(receiver.of('/pre-rollout')).toEqual([]);
    expect(receiver.of('/rollout')).toEqual([]);
    const heldResult = await load.stop();
    expect(Object.keys(heldResult.byVersion)).toEqual(['v1']);

    receiver.statusFor.set('/confirm-rollout', 200);
    const load2 = env.clientLoad(port);
    const done = await env.waitForPhase('Succeeded', 90_000);
    await waitForCall('/post-rollout', start);
    const result = await load2.stop();
    expect(result.meshFailures).toEqual([]);
    const checksum = receiver.of('/confirm-rollout')[0]?.body.checksum;
    for (const type of ['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'rollback'] as const) {
      const calls = receiver.of(`/${type}`);
      expect({ type, called: calls.length > 0 }).toEqual({ type, called: true });
      for (const call of calls) expectPayload(call, type, 'Progressing', checksum);
    }
    expect(receiver.of('/pre-rollout')).toHaveLength(1);
    const post = receiver.of('/post-rollout');
    expect(post).toHaveLength(1);
    expectPayload(post[0]!, 'post-rollout', 'Succeeded', checksum);
    // Event hooks hear each Event with its message.
    const events = receiver.of('/event');
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (const call of events) {
      expectPayload(call, 'event', /.+/);
      expect(call.body.metadata?.eventMessage).toMatch(/\S/);
      expect(['Normal', 'Warning']).toContain(call.body.metadata?.eventType);
    }
    expect(events.map((e) => e.body.metadata?.eventMessage ?? '').join('\n')).toMatch(/Promoted/);
    // The order of a rollout: the gate, pre-rollout, analysis, traffic increase, promotion, post-rollout.
    const firstAt = (path: string): number => receiver.of(path).find((c) => c.at >= start)?.at ?? 0;
    const openedAt = receiver.of('/confirm-rollout').at(-1)?.at ?? 0;
    expect(firstAt('/pre-rollout')).toBeGreaterThanOrEqual(openedAt);
    expect(firstAt('/rollout')).toBeGreaterThanOrEqual(firstAt('/pre-rollout'));
    expect(firstAt('/confirm-traffic-increase')).toBeGreaterThanOrEqual(firstAt('/rollout'));
    expect(firstAt('/confirm-promotion')).toBeGreaterThanOrEqual(firstAt('/confirm-traffic-increase'));
    expect(firstAt('/post-rollout')).toBeGreaterThanOrEqual(firstAt('/confirm-promotion'));
    expect(done.status?.lastPromotedSpec).toBe(done.status?.lastAppliedSpec);
    process.stdout.write(`[canary-webhooks] calls by type: ${TYPES.map((t) => `${t}=${receiver.of(`/${t}`).length}`).join(' ')}\n`);
  });

  it('fails the rollout when pre-rollout fails, before the new revision gets any traffic', async () => {
    receiver.statusFor.set('/pre-rollout', 500);
    const before = (await env.readCanary()).status?.lastAppliedSpec;
    const start = Date.now();
    const load = env.clientLoad(port);
    await env.rollOut('v3');
    const failed = await env.waitForPhase('Failed', 60_000, undefined, 100, before);
    const result = await load.stop();
    expect(failed.status?.message).toMatch(/pre-rollout/);
    expect(result.byVersion['v3']).toBeUndefined();
    expect(receiver.of('/rollout').filter((c) => c.at >= start)).toEqual([]);
    const post = await waitForCall('/post-rollout', start);
    expectPayload(post, 'post-rollout', 'Failed');
    expect(await env.versionsServed(port)).toEqual(['v2']);
  });

  it('promotes a revision held by a closed confirm-rollout gate on a manual promote, in place; aborts the next one on a manual abort', async () => {
    receiver.statusFor.set('/pre-rollout', 200);
    receiver.statusFor.set('/confirm-rollout', 403);
    const primaryImage = async (): Promise<string | undefined> => (await apps.readNamespacedDeployment({ name: 'podinfo-primary', namespace: env.namespace })).spec?.template.spec?.containers[0]?.image;
    const targetReplicas = async (): Promise<number | undefined> => (await apps.readNamespacedDeployment({ name: 'podinfo', namespace: env.namespace })).spec?.replicas;

    // The failed v3 canary's pods go first: kwok hands a deleted pod's address straight to the
    // next pod (a new primary pod, here) while the harness still serves the old one's grace
    // period, which would answer as v3 from the primary's address.
    await env.waitForTargetScaledToZero();
    await waitFor('the failed revision\'s pods to be gone', async () => (await core.listNamespacedPod({ namespace: env.namespace, labelSelector: 'app=podinfo' })).items.length === 0, {
      timeoutMs: 30_000,
    });
    await sleep(2_500);
    const load = env.clientLoad(port);
    await env.rollOut('v4');
    const waiting = await env.waitForPhase('Waiting', 30_000);
    const start = Date.now();
    await env.patchCanary({ metadata: { annotations: { [ACTION_ANNOTATION]: 'promote:waiting-1' } } });
    // The primary is replaced in place: the target never gets replicas, and once promoting
    // the Canary never goes back to Waiting (the gate is still closed).
    const phases: string[] = [];
    let maxTargetReplicas = 0;
    let done = await env.readCanary();
    while (Date.now() - start < 60_000 && done.status?.phase !== 'Succeeded') {
      await sleep(100);
      done = await env.readCanary();
      if (phases.at(-1) !== done.status?.phase) phases.push(done.status?.phase ?? '');
      maxTargetReplicas = Math.max(maxTargetReplicas, (await targetReplicas()) ?? 0);
    }
    const result = await load.stop();
    expect(done.status?.phase).toBe('Succeeded');
    expect(phases.slice(phases.findIndex((p) => p !== 'Waiting'))).not.toContain('Waiting');
    expect(phases).not.toContain('Progressing');
    expect(done.status?.manualAction).toMatchObject({
      action: 'promote',
      nonce: 'waiting-1',
      state: 'Applied',
      message: expect.stringMatching(/^promoting revision \S+ now, skipping what held it .*: the canary has not served any traffic, so podinfo-primary is updated in place and keeps all traffic$/),
    });
    expect(done.status?.lastPromotedSpec).toBe(done.status?.lastAppliedSpec);
    expect(done.status?.lastAppliedSpec).not.toBe(waiting.status?.lastAppliedSpec);
    expect(await primaryImage()).toBe('sluice.dev/demo-app:v4');
    expect(maxTargetReplicas).toBe(0);
    expect(result.meshFailures).toEqual([]);
    expect(Object.keys(result.byVersion).filter((v) => v !== 'v2' && v !== 'v4')).toEqual([]);
    expect(result.appErrors).toBe(0);
    expect(receiver.of('/pre-rollout').filter((c) => c.at >= start)).toEqual([]);
    expect(receiver.of('/rollout').filter((c) => c.at >= start)).toEqual([]);
    expect(await env.versionsServed(port)).toEqual(['v4']);

    await env.rollOut('v5');
    await env.waitForPhase('Waiting', 30_000);
    await env.patchCanary({ metadata: { annotations: { [ACTION_ANNOTATION]: 'abort:waiting-2' } } });
    const aborted = await env.waitForPhase('Failed', 30_000);
    expect(aborted.status?.manualAction).toMatchObject({ action: 'abort', nonce: 'waiting-2', state: 'Applied' });
    expect(aborted.status?.message).toMatch(/^aborted by a manual abort action before its rollout started: revision \S+ got no traffic/);
    // Opening the gate does not start the aborted revision.
    receiver.statusFor.set('/confirm-rollout', 200);
    await sleep(6_000);
    const still = await env.readCanary();
    expect(still.status?.phase).toBe('Failed');
    expect(still.status?.lastAppliedSpec).toBe(aborted.status?.lastAppliedSpec);
    expect(await targetReplicas()).toBe(0);
    expect(await env.versionsServed(port)).toEqual(['v4']);
    expect(await env.eventReasons()).toContain('Aborted');
  });
});

async function waitForCall(path: string, after: number): Promise<Call> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const call = receiver.of(path).find((c) => c.at >= after);
    if (call) return call;
    await sleep(100);
  }
  throw new Error(`no call to ${path}`);
}
