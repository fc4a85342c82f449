// `npm run demo` end to end: the playground (dist/playground/main.js) as a child process with
// its own control plane, operator, waypoint, demo app and clients. It must promote the
// healthy revision and roll back the faulty one within the 3 minutes the README promises,
// leave a cluster the printed KUBECONFIG reaches, and on Ctrl-C (SIGINT) at any moment stop
// every process it started and exit 0. Each run marks its processes with its own
// SLUICE_TEST_RUN, so that whatever it leaves behind is found (and then killed) here.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../harness/index.js';
import { processesMarkedWith, type LeftoverProcess } from '../../harness/leak-check.js';

interface Run {
  marker: string;
  output: () => string;
  /** Resolves once `pattern` appears in the output (stdout and stderr together). */
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
}

const runs: Run[] = [];

function startPlayground(args: string[]): Run {
  const marker = `playground-${randomUUID()}`;
  const child = spawn(process.execPath, [join(repoRoot, 'dist/playground/main.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, SLUICE_TEST_RUN: marker, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const run: Run = {
    marker,
    output: () => output,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(output);
          if (!match) return;
          done();
          resolve(match);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} in the playground's output after ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        void exited.then(() => {
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`the playground exited before printing ${pattern}:\n${output}`));
        });
        listeners.add(check);
        check();
      }),
    exited,
    kill: (signal) => child.kill(signal),
  };
  runs.push(run);
  return run;
}

/** Processes of the run still alive, after giving those just signalled a moment to go. */
async function leftovers(run: Run): Promise<LeftoverProcess[]> {
  let found = processesMarkedWith(run.marker, () => false);
  for (let i = 0; i < 10 && found.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
    found = processesMarkedWith(run.marker, () => false);
  }
  return found;
}

afterAll(async () => {
  for (const run of runs) {
    run.kill('SIGKILL');
    // A failed test must not leave its control plane running for the rest of the suite.
    for (const p of processesMarkedWith(run.marker, () => false)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
});

const seconds = (match: RegExpExecArray | null): number => Number(match?.[1]);

describe('the playground (npm run demo)', () => {
  it('with --exit-after: promotes the healthy revision, rolls back the faulty one within 3 minutes, exits 0 and leaves no process', async () => {
    const run = startPlayground(['--exit-after']);
    const { code } = await run.exited;
    const output = run.output();
    expect({ code, tail: output.slice(-3000) }).toEqual({ code: 0, tail: expect.any(String) as string });

    // The steps, as printed without a terminal: one line each when they end.
    expect(output).toMatch(/✔ Rollout 1: v2, healthy {2}— promoted after [\d.]+ s .*; no failed requests/);
    expect(output).toMatch(/✔ Rollout 2: v3, 30% of requests fail {2}— rolled back after [\d.]+ s .*; \d+ of \d+ requests failed/);
    // What the live view showed on the way: the weight growing, the analysis, Events, notifications.
    expect(output).toMatch(/canary demo Progressing, weight \[█{8}░{12}\] 40%/);
    expect(output).toMatch(/analysis: request-success-rate [\d.]+% \(>= 99\) Failed/);
    expect(output).toMatch(/event Warning AnalysisFailed: /);
    expect(output).toMatch(/notification info Promoted: Revision \S+ promoted to demo-primary/);
    expect(output).toMatch(/notification error RolledBack: Rolled back revision \S+/);
    // The faulty revision's errors reached clients (30% of its share), the healthy one's did not.
    expect(output).toMatch(/clients: .*v3 [\d,]+ ok, [\d,]+ failed/);

    const promotedAt = seconds(/Rollout 1: v2, healthy: +promoted at ([\d.]+) s \(.*; notified\)/.exec(output));
    const rolledBackAt = seconds(/Rollout 2: v3, 30% of requests fail: +rolled back at ([\d.]+) s \(.*; notified\)/.exec(output));
    expect(promotedAt).toBeGreaterThan(0);
    expect(rolledBackAt).toBeGreaterThan(promotedAt);
    // The README's promise: both rollouts within 3 minutes (of the playground's start; the build comes before).
    expect(rolledBackAt).toBeLessThan(180);
    process.stdout.write(`[playground] promoted at ${promotedAt} s, rolled back at ${rolledBackAt} s\n`);

    expect(output).toMatch(/Stopped in [\d.]+ s; no process left running\./);
    expect(output).not.toMatch(/were still running at exit/);
    expect(await leftovers(run)).toEqual([]);
  }, 240_000);

  it('leaves the cluster up for the CLI through the printed KUBECONFIG, and Ctrl-C then stops everything and exits 0', async () => {
    const run = startPlayground([]);
    const logDir = (await run.waitFor(/logs in (\/\S+)/, 10_000))[1] ?? '';
    const kubeconfig = (await run.waitFor(/export KUBECONFIG=(\S+)/, 200_000))[1] ?? '';
    await run.waitFor(/kubectl-sluice status demo --watch/, 1000);

    // What the user is told to try works: the CLI reaches the cluster and finds the demo's Canary.
    const cli = spawnSync(process.execPath, [join(repoRoot, 'dist/cli/main.js'), 'get', '-A'], {
      env: { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ status: cli.status, stderr: cli.stderr }).toEqual({ status: 0, stderr: '' });
    expect(cli.stdout).toMatch(/default\s+demo\s+Failed\s+0/);

    run.kill('SIGINT');
    const { code, signal } = await run.exited;
    expect({ code, signal, tail: run.output().slice(-2000) }).toEqual({ code: 0, signal: null, tail: expect.any(String) as string });
    expect(run.output()).toMatch(/Stopping everything \(Ctrl-C\)\.\.\.[\s\S]*Stopped in [\d.]+ s; no process left running\./);
    expect(run.output()).not.toMatch(/were still running at exit/);
    expect(await leftovers(run)).toEqual([]);
    // Its files go too: the control plane's (with the kubeconfig) and the playground's logs.
    expect(existsSync(kubeconfig)).toBe(false);
    expect(existsSync(logDir)).toBe(false);
  }, 240_000);

  it('stops cleanly on Ctrl-C while the control plane is still starting', async () => {
    const run = startPlayground([]);
    await run.waitFor(/▶ Local Kubernetes control plane/, 10_000);
    run.kill('SIGINT');
    const { code } = await run.exited;
    expect({ code, tail: run.output().slice(-2000) }).toEqual({ code: 0, tail: expect.any(String) as string });
    expect(run.output()).toMatch(/stopping the control plane[\s\S]*no process left running\./);
    expect(await leftovers(run)).toEqual([]);
  }, 120_000);
});
