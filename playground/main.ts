// `npm run demo`: the local playground. Starts a control plane, Sluice and the demo app under
// load, shows a healthy revision being promoted and a faulty one rolled back, then leaves
// the cluster up until Ctrl-C (or, with --exit-after, stops right away). Ctrl-C at any
// moment stops every process it started and exits 0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseStyle } from '../cli/style.js';
import { killChildrenNow, livingChildren } from './child-processes.js';
import { asExpected, nextStepsLines, timingLines } from './next-steps.js';
import { parseOptions, USAGE, UsageError, type PlaygroundOptions } from './options.js';
import { ROLLOUTS } from './scenario.js';
import { Screen } from './screen.js';
import { Session, Stopped } from './session.js';
import { notificationLine, seconds, stamp } from './live-view.js';

// Timings count from the start of this process, not from when the modules finished loading.
const startedAt = Math.round(performance.timeOrigin);

let options: PlaygroundOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${err.message}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

// `npm run demo | head` closes the pipe: that ends the output, not the teardown.
process.stdout.on('error', () => undefined);

const terminal = process.stdout.isTTY === true && !options.plain;
const style = chooseStyle(terminal, process.env);
const dir = mkdtempSync(join(tmpdir(), 'sluice-playground-'));
let idle = false;
const session = new Session({
  dir,
  startedAt,
  style,
  onNotification: (n) => {
    // While the live view runs it shows notifications itself; afterwards they are printed.
    if (idle) screen.print(`${stamp(Date.now(), startedAt)} ${notificationLine(n, style)}`);
  },
});
const screen = new Screen(process.stdout, terminal, () => session.snapshot());

let stopRequested: (() => void) | undefined;
const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
let signals = 0;
let firstSignal: NodeJS.Signals | undefined;
let firstSignalAt = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  if (signals === 0) {
    signals = 1;
    firstSignal = signal;
    firstSignalAt = Date.now();
    session.requestStop();
    stopRequested?.();
    return;
  }
  // `npm run` passes the terminal's Ctrl-C on to us, so one keypress arrives twice.
  if (Date.now() - firstSignalAt < 1000) return;
  signals++;
  if (signals >= 3) {
    process.stderr.write(`\n${signal} again: killing everything at once\n`);
    process.exit(130);
  }
  process.stderr.write(`\n${signal}: still stopping (a few seconds); once more to kill everything at once\n`);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal));

// Whatever happens, nothing outlives the playground and the terminal gets its cursor back.
process.on('exit', () => {
  screen.restoreTerminal();
  const killed = killChildrenNow();
  if (killed.length > 0) {
    process.stderr.write(`warning: ${killed.length} process(es) were still running at exit and were killed:\n${killed.map((c) => `  ${c.pid} ${c.commandLine}`).join('\n')}\n`);
  }
});

const keepLogsAfterFailure = (): void => {
  options.keepLogs = true;
};

let exitCode = 0;
let failure: string | undefined;
try {
  if (!terminal) screen.print(`Sluice playground: logs in ${dir}`);
  screen.startLive();
  const timings = await session.run();
  screen.stopLive();
  const ok = asExpected(timings, ROLLOUTS.length);
  screen.print(['', ...timingLines(timings, Date.now() - startedAt, session.clientTotals())].join('\n'));
  if (!ok) {
    failure = 'a rollout did not end as expected (see above)';
    keepLogsAfterFailure();
  }
  if (options.exitAfter) {
    exitCode = ok ? 0 : 1;
  } else {
    const kubectlFound = spawnSync('sh', ['-c', 'command -v kubectl'], { stdio: 'ignore' }).status === 0;
    screen.print(['', ...nextStepsLines({ kubeconfigPath: session.kubeconfigPath ?? '', cliPath: session.cliPath, logDir: dir, kubectlFound }), ''].join('\n'));
    idle = true;
    const watchdog = setInterval(() => {
      const crashed = session.crashed();
      if (crashed.length === 0) return;
      failure = `a component died:\n${crashed.join('\n')}`;
      exitCode = 1;
      keepLogsAfterFailure();
      stopRequested?.();
    }, 2000);
    await stopped;
    clearInterval(watchdog);
  }
} catch (err) {
  screen.stopLive();
  if (!(err instanceof Stopped)) {
    failure = err instanceof Error ? (err.stack ?? err.message) : String(err);
    exitCode = 1;
    keepLogsAfterFailure();
  }
}

idle = false;
if (failure !== undefined) process.stderr.write(`\nThe playground failed: ${failure}\n`);
screen.print(`\nStopping everything${firstSignal === 'SIGINT' ? ' (Ctrl-C)' : firstSignal ? ` (${firstSignal})` : ''}...`);
const stopStarted = Date.now();
try {
  const controlPlaneLogs = await session.stop((line) => screen.print(`  ${line}`), options.keepLogs);
  if (controlPlaneLogs !== undefined) screen.print(`Control plane logs kept in ${controlPlaneLogs}`);
} catch (err) {
  exitCode = 1;
  process.stderr.write(`stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
}
const left = livingChildren();
if (left.length > 0) exitCode = 1;
if (options.keepLogs) screen.print(`Logs kept in ${dir}`);
else rmSync(dir, { recursive: true, force: true });
screen.print(
  left.length === 0
    ? `Stopped in ${seconds(Date.now() - stopStarted)}; no process left running.`
    : `Stopped in ${seconds(Date.now() - stopStarted)}, but ${left.length} process(es) are still running; killing them.`,
);
// The exit handler kills (and names) anything still running.
process.stdout.write('', () => process.exit(exitCode));
