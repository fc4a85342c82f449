// Helpers for the CLI's integration tests: kubectl-sluice runs as a real child process
// (`node dist/cli/main.js`, so `npm run build` must have run) against the real test API
// server, and the tests play the operator by writing Canary status themselves.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { CANARY, type Canary, type CanaryStatus } from '../../../crds/index.js';
import { installCrds } from '../../../crds/install.js';
import { kubeconfigPath, repoRoot } from '../../harness/index.js';

export const CLI = join(repoRoot, 'dist/cli/main.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

export interface CliOptions {
  /** Environment on top of a minimal one; KUBECONFIG defaults to the test cluster's admin kubeconfig. */
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** The process is killed after this long; a test then sees code null. Default 60 s. */
  killAfterMs?: number;
  /** Run on a pseudo-terminal (through util-linux `script`), as a person at a terminal would. */
  terminal?: boolean;
}

const shellQuote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/** A running kubectl-sluice: its output so far, and its result once it exits. */
export class CliProcess {
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  private readonly started = Date.now();
  readonly result: Promise<CliResult>;
  private readonly listeners = new Set<() => void>();

  constructor(args: readonly string[], options: CliOptions = {}) {
    assertBuilt();
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBECONFIG: kubeconfigPath(),
      ...options.env,
    };
    const command = [process.execPath, CLI, ...args];
    // script -e passes on the command's exit code; -q keeps its own messages out of the output.
    const [file, argv] = options.terminal === true ? ['script', ['-qefc', command.map(shellQuote).join(' '), '/dev/null']] : [process.execPath, command.slice(1)];
    this.child = spawn(file, argv, {
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.out += chunk;
      for (const l of this.listeners) l();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.err += chunk;
      for (const l of this.listeners) l();
    });
    this.child.stdin?.end(options.stdin ?? '');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
    this.result = new Promise((resolve) => {
      this.child.once('close', (code) => {
        clearTimeout(killer);
        resolve({ code, stdout: this.out, stderr: this.err, elapsedMs: Date.now() - this.started });
      });
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** Resolves once stdout matches; rejects after `timeoutMs` or if the process exits first. */
  waitForStdout(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(this.out)) done(undefined);
      };
      const timer = setTimeout(() => done(new Error(`stdout never matched ${pattern}:\n${this.out}\nstderr:\n${this.err}`)), timeoutMs);
      const done = (err: Error | undefined): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      this.listeners.add(check);
      void this.result.then(() => done(pattern.test(this.out) ? undefined : new Error(`exited before stdout matched ${pattern}:\n${this.out}\nstderr:\n${this.err}`)));
      check();
    });
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new CliProcess(args, options).result;
}

export async function ensureCrds(kc: KubeConfig): Promise<void> {
  await installCrds(kc, { fieldManager: 'sluice-cli-tests' });
}

export interface CanaryOverrides {
  analysis?: Record<string, unknown>;
}

export async function createCanary(kc: KubeConfig, namespace: string, name: string, overrides: CanaryOverrides = {}): Promise<Canary> {
  return (await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: CANARY.group,
    version: CANARY.version,
    plural: CANARY.plural,
    namespace,
    body: {
      apiVersion: CANARY.apiVersion,
      kind: CANARY.kind,
      metadata: { name },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        service: { port: 9898 },
        analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 50, ...overrides.analysis },
      },
    },
  })) as Canary;
}

export async function getCanary(kc: KubeConfig, namespace: string, name: string): Promise<Canary> {
  return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: CANARY.group,
    version: CANARY.version,
    plural: CANARY.plural,
    namespace,
    name,
  })) as Canary;
}

/** What the operator does: a merge patch of the status subresource. */
export async function setStatus(kc: KubeConfig, namespace: string, name: string, status: CanaryStatus): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
    { group: CANARY.group, version: CANARY.version, plural: CANARY.plural, namespace, name, body: { status }, fieldManager: 'fake-operator' },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** An Event about the canary, as the operator's EventRecorder writes it. */
export async function recordEvent(kc: KubeConfig, canary: Canary, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  const namespace = canary.metadata.namespace ?? 'default';
  const now = new Date();
  await kc.makeApiClient(CoreV1Api).createNamespacedEvent({
    namespace,
    body: {
      metadata: { generateName: `${canary.metadata.name}.`, namespace },
      involvedObject: { apiVersion: CANARY.apiVersion, kind: CANARY.kind, name: canary.metadata.name, namespace, uid: canary.metadata.uid },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'sluice-operator' },
    },
  });
}

export const isoNow = (offsetMs = 0): string => new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
