// Lease-based leader election against the real API server: one leader at a time; a standby
// takes over within 15 s of the leader dying without releasing (in process, and a real
// sluice-operator process killed with SIGKILL); at once after a graceful release (including a
// real process receiving SIGTERM); and a leader whose lease is taken stops its controllers.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { watch } from '../../../../operator/runtime/controller.js';
import { LeaderElector } from '../../../../operator/runtime/leader-election.js';
import { Manager } from '../../../../operator/runtime/manager.js';
import { Resources } from '../../../../operator/runtime/resource-type.js';
import { ManagedProcess } from '../../../harness/managed-process.js';
import { deleteNamespace, kubeConfig, kubeconfigPath, newNamespace, repoRoot, waitFor } from '../../../harness/index.js';

const log = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });
const config = kubeConfig();
const coordination = config.makeApiClient(k8s.CoordinationV1Api);
const TAKEOVER_LIMIT_MS = 15_000;

let namespace: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  namespace = await newNamespace('leader');
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await deleteNamespace(namespace);
});

interface Candidate {
  elector: LeaderElector;
  startedAt: number[];
  stoppedAt: number[];
}

function candidate(lease: string, identity: string, releaseOnStop = true): Candidate {
  const c: Candidate = { startedAt: [], stoppedAt: [], elector: undefined as unknown as LeaderElector };
  c.elector = new LeaderElector({
    kubeConfig: config,
    namespace,
    name: lease,
    identity,
    releaseOnStop,
    onStartedLeading: () => {
      c.startedAt.push(Date.now());
    },
    onStoppedLeading: () => {
      c.stoppedAt.push(Date.now());
    },
    log,
  });
  cleanups.push(() => c.elector.stop());
  return c;
}

async function holder(lease: string): Promise<string | undefined> {
  try {
    return (await coordination.readNamespacedLease({ name: lease, namespace })).spec?.holderIdentity ?? '';
  } catch {
    return undefined;
  }
}

function operatorProcess(lease: string, identity: string): ManagedProcess {
  const main = join(repoRoot, 'dist/operator/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-operator-'));
  const proc = new ManagedProcess({
    name: identity,
    command: process.execPath,
    args: [
      main,
      `--kubeconfig=${kubeconfigPath()}`,
      '--insecure-plaintext',
      '--admin-host=127.0.0.1',
      '--admin-port=0',
      '--config-host=127.0.0.1',
      '--config-port=0',
      `--namespace=${namespace}`,
      `--leader-election-namespace=${namespace}`,
      `--leader-election-id=${lease}`,
      `--identity=${identity}`,
    ],
    logFile: join(dir, 'operator.log'),
  });
  cleanups.push(() => proc.stop());
  return proc;
}

describe('leader election', () => {
  it('elects one leader; a standby takes over within 15 s when the leader dies without releasing', async () => {
    const a = candidate('crash', 'a', false);
    const b = candidate('crash', 'b');
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader, { timeoutMs: 10_000, intervalMs: 20 });
    b.elector.start();
    await waitFor('b to see the leader', async () => b.elector.leader === 'a', { timeoutMs: 10_000, intervalMs: 20 });
    // Several renewals pass; b stays a standby.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(b.elector.isLeader).toBe(false);
    expect(b.startedAt).toHaveLength(0);

    const killedAt = Date.now();
    await a.elector.stop(); // no release: as if the process had died
    expect(await holder('crash')).toBe('a');
    await waitFor('b to take over', async () => b.elector.isLeader, { timeoutMs: 20_000, intervalMs: 20 });
    const takeover = (b.startedAt[0] ?? Infinity) - killedAt;
    expect(takeover).toBeLessThanOrEqual(TAKEOVER_LIMIT_MS);
    expect(await holder('crash')).toBe('b');
    expect(a.stoppedAt).toHaveLength(1);
  }, 60_000);

  it('hands over at once when the leader releases the lease on a graceful stop', async () => {
    const a = candidate('graceful', 'a');
    const b = candidate('graceful', 'b');
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader, { timeoutMs: 10_000, intervalMs: 20 });
    b.elector.start();
    await waitFor('b to see the leader', async () => b.elector.leader === 'a', { timeoutMs: 10_000, intervalMs: 20 });
    const stoppedAt = Date.now();
    await a.elector.stop();
    await waitFor('b to take over', async () => b.elector.isLeader, { timeoutMs: 10_000, intervalMs: 20 });
    expect((b.startedAt[0] ?? Infinity) - stoppedAt).toBeLessThan(2_000);
  }, 60_000);

  it('stops the controllers of a leader whose lease is taken from it', async () => {
    const registry = new Registry();
    const manager = new Manager({
      kubeConfig: config,
      log,
      registry,
      identity: 'victim',
      watchNamespace: namespace,
      leaderElection: { namespace, name: 'stolen', leaseDurationMs: 14_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 },
    });
    cleanups.push(() => manager.stop());
    const controller = manager.addController({
      name: 'victim-controller',
      watches: [watch(manager.informer(Resources.ConfigMap))],
      reconcile: async () => undefined,
    });
    let hookStopped = false;
    manager.addLeaderHooks({ onStoppedLeading: () => void (hookStopped = true) });
    await manager.start();
    await waitFor('the controller to run on the leader', async () => controller.running, { timeoutMs: 10_000, intervalMs: 20 });
    // Someone else writes the lease (as a partitioned leader's successor would).
    const lease = await coordination.readNamespacedLease({ name: 'stolen', namespace });
    await coordination.replaceNamespacedLease({
      name: 'stolen',
      namespace,
      body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new k8s.V1MicroTime(), leaseDurationSeconds: 60 } },
    });
    await waitFor('the controller to stop', async () => !controller.running, { timeoutMs: 5_000, intervalMs: 20 });
    expect(manager.isLeader).toBe(false);
    expect(hookStopped).toBe(true);
    const leader = await registry.getSingleMetric('sluice_leader')?.get();
    expect(leader?.values.find((v) => v.labels.lease === 'stolen')?.value).toBe(0);
  }, 60_000);

  it('a standby takes over within 15 s from a real operator process killed with SIGKILL', async () => {
    const proc = operatorProcess('process-kill', 'operator-process');
    await waitFor('the operator process to lead', async () => (await holder('process-kill')) === 'operator-process', {
      timeoutMs: 30_000,
      intervalMs: 100,
      describe: () => proc.describeExit(),
    });
    const standby = candidate('process-kill', 'standby');
    standby.elector.start();
    await waitFor('the standby to see the leader', async () => standby.elector.leader === 'operator-process', { timeoutMs: 10_000, intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(standby.elector.isLeader).toBe(false);

    const killedAt = Date.now();
    process.kill(proc.pid ?? 0, 'SIGKILL');
    await waitFor('the standby to take over', async () => standby.elector.isLeader, { timeoutMs: 20_000, intervalMs: 20 });
    expect((standby.startedAt[0] ?? Infinity) - killedAt).toBeLessThanOrEqual(TAKEOVER_LIMIT_MS);
    expect(proc.running).toBe(false);
  }, 60_000);

  it('a real operator process releases the lease on SIGTERM and the standby takes over at once', async () => {
    const proc = operatorProcess('process-term', 'operator-process');
    await waitFor('the operator process to lead', async () => (await holder('process-term')) === 'operator-process', {
      timeoutMs: 30_000,
      intervalMs: 100,
      describe: () => proc.describeExit(),
    });
    const standby = candidate('process-term', 'standby');
    standby.elector.start();
    await waitFor('the standby to see the leader', async () => standby.elector.leader === 'operator-process', { timeoutMs: 10_000, intervalMs: 20 });
    const terminatedAt = Date.now();
    process.kill(proc.pid ?? 0, 'SIGTERM');
    await waitFor('the standby to take over', async () => standby.elector.isLeader, { timeoutMs: 10_000, intervalMs: 20 });
    expect((standby.startedAt[0] ?? Infinity) - terminatedAt).toBeLessThan(3_000);
    await waitFor('the process to exit', async () => !proc.running, { timeoutMs: 10_000, intervalMs: 50 });
    expect(proc.tail(50)).toContain('released the lease');
  }, 60_000);
});
