// A child process the harness owns: output goes to a log file, and stop() always leaves
// nothing behind (SIGTERM, then SIGKILL of the whole process group after a grace period).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class ManagedProcess {
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  /** Resolves when the child's stdout and stderr are closed too (after 'exit', maybe later). */
  private readonly closed: Promise<void>;

  constructor(readonly options: ManagedProcessOptions) {
    this.log = createWriteStream(options.logFile, { flags: 'a' });
    // A log write must never fail a test run; a lost line is the worst it may cost.
    this.log.on('error', () => undefined);
    this.child = spawn(options.command, options.args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group, so that stop() also reaches anything the component forks.
      detached: true,
    });
    this.child.stdout?.pipe(this.log, { end: false });
    this.child.stderr?.pipe(this.log, { end: false });
    this.closed = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
      this.child.once('error', (err) => {
        this.log.write(`\n[harness] failed to start ${options.command}: ${err.message}\n`);
        this.exitInfo = { code: -1, signal: null };
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Why the process is not running, with the end of its log, for error messages. */
  describeExit(): string {
    const info = this.exitInfo;
    const how = info ? (info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`) : 'still running';
    return `${this.options.name} ${how}; last log lines:\n${this.tail(25)}`;
  }

  tail(lines: number): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stop(graceMs = 5000): Promise<void> {
    if (this.running && this.child.pid !== undefined) {
      signalGroup(this.child.pid, 'SIGTERM');
      const grace = new AbortController();
      const gracefully = await Promise.race([
        this.exited.then(() => true),
        sleep(graceMs, undefined, { signal: grace.signal }).then(
          () => false,
          () => true,
        ),
      ]);
      // An unfinished grace timer would keep the test process alive for its full length.
      grace.abort();
      if (!gracefully) signalGroup(this.child.pid, 'SIGKILL');
      await this.exited;
    }
    // Children of the component that ignored SIGTERM die with the group.
    if (this.child.pid !== undefined) signalGroup(this.child.pid, 'SIGKILL');
    // 'exit' may come before the pipes have delivered the last output: ending the log then
    // made a late chunk a "write after end" error that failed a whole suite.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    this.child.stdout?.unpipe(this.log);
    this.child.stderr?.unpipe(this.log);
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  /** Kills without grace, as a crash would. */
  async kill(): Promise<void> {
    if (this.child.pid !== undefined) signalGroup(this.child.pid, 'SIGKILL');
    await this.exited;
  }

  waitForExit(): Promise<void> {
    return this.exited;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Polls `check` until it returns true, failing with `describe()` when `timeoutMs` passes. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(options.intervalMs ?? 200);
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${detail}\n${options.describe?.() ?? ''}`);
}
