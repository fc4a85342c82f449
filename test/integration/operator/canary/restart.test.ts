// Restart resilience: the operator is killed (SIGKILL, no goodbye) at random points of
// rollouts and a new one is started at once. Every rollout still ends as it would have:
// healthy revisions promoted, bad ones rolled back, each exactly once (one Promoted or
// RolledBack event per revision, whatever the number of operators that worked on it), and
// clients never get an error from the mesh. Real components (see support.ts).
//
// SLUICE_RESTART_ROLLOUTS sets the number of rollouts (default 6: the whole suite must stay
// short; the 20 are `SLUICE_RESTART_ROLLOUTS=20`). SLUICE_RESTART_SEED replays one run.
import { core, CanaryTestEnv, canaryFor, sleep } from './support.js';

const ROLLOUTS = Number(process.env.SLUICE_RESTART_ROLLOUTS ?? 6);
const SEED = Number(process.env.SLUICE_RESTART_SEED ?? Date.now() % 100_000);

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const env = new CanaryTestEnv('canary-restart', '127.18.254.8').hooks(async () => {
  await env.start(canaryFor({ stepWeight: 50, maxWeight: 50 }));
  // While the operator is down, endpoint changes do not reach the proxy: a pod that is gone
  // keeps serving through its grace period (30 s on a real node) until they do.
  for (const pods of env.podApps) pods.terminationGraceMs = 10_000;
});

/** How many times an Event with `reason` mentioning `revision` was recorded (aggregated counts included). */
async function eventCount(reason: string, revision: string): Promise<number> {
  const events = await core.listNamespacedEvent({ namespace: env.namespace, fieldSelector: `involvedObject.kind=Canary,reason=${reason}` });
  return events.items.filter((e) => e.message?.includes(revision)).reduce((sum, e) => sum + (e.count ?? 1), 0);
}

describe('canary controller: SIGKILL at random points', () => {
  let port: number;

  it('initializes', async () => {
    port = await env.initialize();
  });

  it(`ends ${ROLLOUTS} rollouts with the same outcome and no double promotion`, async () => {
    const next = random(SEED);
    process.stdout.write(`[canary-restart] seed ${SEED} (SLUICE_RESTART_SEED replays it), ${ROLLOUTS} rollouts\n`);
    const summary: string[] = [];
    let kills = 0;
    let served = 'v1';
    for (let i = 0; i < ROLLOUTS; i++) {
      const healthy = i % 2 === 0;
      const version = `v${i + 2}${healthy ? '' : '-bad'}`;
      const before = (await env.readCanary()).status?.lastAppliedSpec;
      const load = env.clientLoad(port);
      await env.rollOut(version, healthy ? {} : { errorRate: 0.3 });
      // One or two kills, each at a random moment of the ~7-12 s a rollout takes (or just after).
      const killsHere = 1 + Math.floor(next() * 2);
      const killTimes: string[] = [];
      const outcome = healthy ? 'Succeeded' : 'Failed';
      for (let k = 0; k < killsHere; k++) {
        await sleep(100 + next() * 9_000);
        const phase = (await env.readCanary()).status;
        killTimes.push(`${phase?.phase ?? '?'}:${phase?.canaryWeight ?? 0}`);
        await env.operator?.kill();
        kills++;
        env.startOperator();
      }
      const done = await env.waitForPhase(outcome, 90_000, undefined, 200, before);
      await sleep(500);
      const result = await load.stop();
      const revision = done.status?.lastAppliedSpec ?? '';
      expect(result.meshFailures).toEqual([]);
      if (healthy) {
        expect(done.status?.lastPromotedSpec).toBe(revision);
        served = version;
      } else {
        expect(done.status?.lastPromotedSpec).not.toBe(revision);
      }
      // Exactly one announcement of the outcome, whichever operator got there.
      await sleep(1000);
      expect({ version, promoted: await eventCount('Promoted', revision), rolledBack: await eventCount('RolledBack', revision) }).toEqual({
        version,
        promoted: healthy ? 1 : 0,
        rolledBack: healthy ? 0 : 1,
      });
      expect(await env.versionsServed(port)).toEqual([served]);
      summary.push(`${version}→${outcome} (killed at ${killTimes.join(', ')})`);
    }
    process.stdout.write(`[canary-restart] ${ROLLOUTS} rollouts, ${kills} SIGKILLs, ${env.operatorStarts} operator processes:\n  ${summary.join('\n  ')}\n`);
  }, 60_000 + ROLLOUTS * 100_000);
});
