// `npm run bench:controlplane`: time from publish() of a new snapshot version to an ACK from
// every connected proxy client (p50/p99/max), for 1, 50 and 500 clients, plus the config
// server's CPU and RSS with 500 clients connected. Everything is real and on loopback: a local
// Kubernetes control plane (clients authenticate with a ServiceAccount token through
// TokenReview), the config server in a process of its own (so that its CPU and memory are
// measured apart), and the clients spread over several processes, each client with its own
// HTTP connection.
//
// Each size is measured with three kinds of clients (see client-process.ts): raw (no parsing:
// the control plane's own latency), lightweight (the real ControlPlaneClient) and validating
// (the real client validating every snapshot like a proxy). On a small machine the latter two
// mostly measure how long this machine takes to be 500 proxies at once.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { ControlPlane } from '../../harness/control-plane.js';
import { benchSnapshot } from './bench-snapshot.js';
import type { ClientReply, ServerCommand, ServerReply } from './messages.js';

const MODES = ['raw', 'lightweight', 'validating'] as const;
type Mode = (typeof MODES)[number];
type Usage = { cpuPercent: number; rssMiB: number };
type Figures = { p50: number; p99: number; max: number };

const here = dirname(fileURLToPath(import.meta.url));
const CLIENTS_PER_PROCESS = Number(process.env.BENCH_CLIENTS_PER_PROCESS ?? 125);
const SIZES = (process.env.BENCH_SIZES ?? '1,50,500').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const TOP = Math.max(...SIZES);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const out = (line = ''): void => void process.stdout.write(`${line}\n`);

class ServerHandle {
  private readonly waiting: ((reply: ServerReply) => boolean)[] = [];

  constructor(readonly child: ChildProcess) {
    child.on('message', (reply: ServerReply) => {
      const i = this.waiting.findIndex((accept) => accept(reply));
      if (i >= 0) this.waiting.splice(i, 1);
    });
  }

  /** Sends `command` and resolves with the first reply of one of the `kinds`. */
  request<R extends ServerReply['reply']>(command: ServerCommand | undefined, ...kinds: R[]): Promise<Extract<ServerReply, { reply: R }>> {
    return new Promise((resolve) => {
      this.waiting.push((reply) => {
        if (!(kinds as string[]).includes(reply.reply)) return false;
        resolve(reply as Extract<ServerReply, { reply: R }>);
        return true;
      });
      if (command) this.child.send(command);
    });
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? NaN;
}

const show = (f: Figures | undefined): string =>
  f ? `${f.p50.toFixed(1).padStart(6)} ${f.p99.toFixed(1).padStart(6)} ${f.max.toFixed(1).padStart(6)}` : '     -      -      -';

async function main(): Promise<void> {
  out('Starting a local Kubernetes control plane...');
  const plane = await ControlPlane.start();
  const children = new Set<ChildProcess>();
  try {
    const core = plane.kubeConfig().makeApiClient(k8s.CoreV1Api);
    const namespace = 'bench-controlplane';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'waypoint' } } });
    const tokenRequest = await core.createNamespacedServiceAccountToken({ name: 'waypoint', namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'sluice-bench-')), 'token');
    writeFileSync(tokenFile, tokenRequest.status?.token ?? '');

    const serverChild = fork(join(here, 'server-process.js'), { env: { ...process.env, BENCH_KUBECONFIG: plane.kubeconfigPath, BENCH_NAMESPACE: namespace } });
    children.add(serverChild);
    const server = new ServerHandle(serverChild);
    const { port } = await server.request(undefined, 'ready');
    const url = `http://127.0.0.1:${port}`;
    const snapshotBytes = Buffer.byteLength(JSON.stringify(benchSnapshot('v-size-check', 10)));
    out(`Config server on ${url}; snapshot ${(snapshotBytes / 1024).toFixed(1)} KiB; debounce 50 ms; ${ROUNDS} publications per size and kind of client.`);

    const usage = (): Promise<Extract<ServerReply, { reply: 'usage' }>> => server.request({ cmd: 'usage' }, 'usage');
    const window = (a: { cpuMicros: number; at: number }, b: { cpuMicros: number; at: number; rssBytes: number }): Usage => ({
      cpuPercent: ((b.cpuMicros - a.cpuMicros) / 1000 / (b.at - a.at)) * 100,
      rssMiB: b.rssBytes / 1024 / 1024,
    });
    const waitConnected = async (count: number): Promise<void> => {
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const state = await server.request({ cmd: 'connected', namespace }, 'connected');
        if (state.count === count && state.appliedCurrent === count) return;
        await sleep(100);
      }
      throw new Error(`timed out waiting for ${count} connected clients`);
    };
    const startClients = async (size: number, mode: Mode): Promise<ChildProcess[]> => {
      const started: ChildProcess[] = [];
      for (let offset = 0; offset < size; offset += CLIENTS_PER_PROCESS) {
        const batch = Math.min(CLIENTS_PER_PROCESS, size - offset);
        const child = fork(join(here, 'client-process.js'), {
          env: { ...process.env, BENCH_URL: url, BENCH_TOKEN_FILE: tokenFile, BENCH_CLIENTS: String(batch), BENCH_PREFIX: `${mode}-${size}-${offset}`, BENCH_MODE: mode },
        });
        children.add(child);
        started.push(child);
        await new Promise<void>((resolve) => child.once('message', (m: ClientReply) => m.reply === 'started' && resolve()));
      }
      return started;
    };
    const stopClients = async (clients: ChildProcess[]): Promise<void> => {
      await Promise.all(
        clients.map(
          (child) =>
            new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              if (child.connected) child.disconnect();
              else resolve();
            }),
        ),
      );
      for (const child of clients) children.delete(child);
      await waitConnected(0);
    };

    let version = 0;
    const results = new Map<number, { connectMs: Partial<Record<Mode, number>>; figures: Partial<Record<Mode, Figures>> }>();
    const busy: Partial<Record<Mode, Usage>> = {};
    let idle: Usage | undefined;
    let pushMs: number | undefined;

    for (const size of SIZES) {
      const row = { connectMs: {}, figures: {} } as { connectMs: Partial<Record<Mode, number>>; figures: Partial<Record<Mode, Figures>> };
      results.set(size, row);
      for (const mode of MODES) {
        const connectStarted = Date.now();
        const clients = await startClients(size, mode);
        await waitConnected(size);
        row.connectMs[mode] = Date.now() - connectStarted;
        // Warm up (JIT, buffers), then measure.
        for (let i = 0; i < 5; i++) {
          await server.request({ cmd: 'publish', namespace, version: `warm-${size}-${mode}-${i}`, expectProxies: size, timeoutMs: 30_000 }, 'published', 'failed');
          await sleep(50);
        }
        const before = await usage();
        const samples: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const reply = await server.request({ cmd: 'publish', namespace, version: `v${++version}`, expectProxies: size, timeoutMs: 30_000 }, 'published', 'failed');
          if (reply.reply === 'failed') throw new Error(`publication ${reply.version} failed: ${reply.error}`);
          samples.push(reply.ms);
          // A pause between publications, so that each is its own push rather than merged by the debounce.
          await sleep(20 + Math.random() * 60);
        }
        const after = await usage();
        samples.sort((a, b) => a - b);
        const figures = { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples[samples.length - 1] ?? NaN };
        row.figures[mode] = figures;
        out(`  ${String(size).padStart(3)} ${mode.padEnd(11)} clients: p50 ${figures.p50.toFixed(1)} ms, p99 ${figures.p99.toFixed(1)} ms, max ${figures.max.toFixed(1)} ms (all connected and applied in ${row.connectMs[mode]} ms)`);
        if (size === TOP) {
          busy[mode] = window(before, after);
          if (mode === 'raw' && after.pushes > before.pushes) pushMs = ((after.pushSeconds - before.pushSeconds) / (after.pushes - before.pushes)) * 1000;
          if (mode === 'lightweight') {
            const idleStart = await usage();
            await sleep(10_000);
            idle = window(idleStart, await usage());
          }
        }
        await stopClients(clients);
      }
    }

    out();
    out('Publish -> ACK from every connected client, in ms (includes the 50 ms debounce)');
    out('           raw clients (no parsing)   real client, lightweight   real client, validating');
    out('  clients     p50    p99    max          p50    p99    max          p50    p99    max');
    for (const [size, row] of results) out(`  ${String(size).padStart(7)} ${show(row.figures.raw)}       ${show(row.figures.lightweight)}       ${show(row.figures.validating)}`);
    out();
    out(`Config server process with ${TOP} clients connected:`);
    if (idle) out(`  idle (heartbeats, 1 stats report/s per client): CPU ${idle.cpuPercent.toFixed(1)} % of one core, RSS ${idle.rssMiB.toFixed(0)} MiB`);
    for (const mode of MODES) {
      const u = busy[mode];
      if (u) out(`  publishing ~8 versions/s to ${mode} clients: CPU ${u.cpuPercent.toFixed(1)} % of one core, RSS ${u.rssMiB.toFixed(0)} MiB`);
    }
    if (pushMs !== undefined) out(`  writing one version to all ${TOP} streams: ${pushMs.toFixed(2)} ms of the server's event loop`);
    const at500 = results.get(500);
    if (at500) {
      const verdict = (f: Figures | undefined): string => (f ? `${f.p99 <= 200 ? 'met' : 'NOT met'} (${f.p99.toFixed(1)} ms)` : 'not measured');
      out(`\nTarget p99 <= 200 ms at 500 clients: raw ${verdict(at500.figures.raw)}, lightweight ${verdict(at500.figures.lightweight)}, validating ${verdict(at500.figures.validating)}.`);
    }
    out(`JSON ${JSON.stringify({ snapshotBytes, rounds: ROUNDS, results: Object.fromEntries(results), idle, busy, pushMs })}`);
  } finally {
    for (const child of children) if (child.connected) child.disconnect();
    await sleep(1_000);
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await plane.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:controlplane failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
