// `kubectl sluice status NAME [--watch]`. Watching uses Kubernetes watches on the Canary and
// its Events (no polling): on a terminal the view is redrawn, elsewhere each change becomes
// one time-stamped line (status-changes.ts) so that CI logs stay readable.
import type { Canary } from '../../crds/index.js';
import type { CanaryApi, Watching } from '../canary-api.js';
import type { EventView } from '../event-view.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { changeLines, initialWatchState, type WatchState } from '../status-changes.js';
import { renderStatus } from '../status-view.js';
import { chooseStyle } from '../style.js';
import { terminalFrame } from '../terminal-frame.js';

export interface StatusOptions {
  namespace: string;
  canary: string;
  watch: boolean;
  exitOnDone: boolean;
  events: number;
}

/** The exit code --exit-on-done ends with, once the rollout is over. */
export function doneExitCode(canary: Canary): ExitCode | undefined {
  if (canary.status?.phase === 'Succeeded') return EXIT.ok;
  if (canary.status?.phase === 'Failed') return EXIT.negative;
  return undefined;
}

/** Coalesces the bursts of updates a reconcile produces (status, then Events) into one redraw. */
const REDRAW_DELAY_MS = 50;
/** Ages on screen ("12s ago") go stale: redraw from memory, no API request involved. */
const AGE_REFRESH_MS = 1000;

export async function runStatus(api: CanaryApi, options: StatusOptions, io: Io): Promise<ExitCode> {
  let canary = await api.get(options.namespace, options.canary);
  const initial = await api.events(canary);
  const events = new Map<string, EventView>(initial.events.map((e) => [e.uid, e]));
  const tty = io.stdout.isTTY === true;
  const style = chooseStyle(tty, io.env);
  const view = (): string => renderStatus({ canary, events: [...events.values()], now: io.now(), style, eventLimit: options.events });
  if (initial.error !== undefined) io.stderr.write(`warning: cannot show Events: ${initial.error}\n`);

  if (!options.watch) {
    io.stdout.write(`${view()}\n`);
    return EXIT.ok;
  }
  const frame = (first = false): string => terminalFrame(`${view()}\n\n${style.dim('Watching for changes; Ctrl-C to stop.')}`, first);
  io.stdout.write(tty ? frame(true) : `${view()}\n\n`);
  const doneAtStart = options.exitOnDone ? doneExitCode(canary) : undefined;
  if (doneAtStart !== undefined) return doneAtStart;

  return new Promise<ExitCode>((resolve) => {
    let state: WatchState = initialWatchState(canary, [...events.values()]);
    let redraw: NodeJS.Timeout | undefined;
    let finished = false;
    const watchers: Watching[] = [];
    const ageTimer = tty ? setInterval(() => io.stdout.write(frame()), AGE_REFRESH_MS) : undefined;

    const finish = (code: ExitCode): void => {
      if (finished) return;
      finished = true;
      clearTimeout(redraw);
      clearInterval(ageTimer);
      unsubscribe();
      void Promise.all(watchers.map((w) => w.stop())).then(() => resolve(code));
    };
    const unsubscribe = io.onInterrupt(() => finish(EXIT.ok));

    const changed = (): void => {
      if (finished) return;
      if (tty) {
        clearTimeout(redraw);
        redraw = setTimeout(() => io.stdout.write(frame()), REDRAW_DELAY_MS);
      } else {
        const next = changeLines(state, canary, [...events.values()], io.now());
        state = next.state;
        if (next.lines.length > 0) io.stdout.write(`${next.lines.join('\n')}\n`);
      }
      const code = options.exitOnDone ? doneExitCode(canary) : undefined;
      if (code !== undefined) {
        if (tty) io.stdout.write(terminalFrame(view(), false));
        finish(code);
      }
    };

    watchers.push(
      api.watchCanary(options.namespace, options.canary, {
        onChange: (obj) => {
          canary = obj;
          changed();
        },
        onDelete: () => {
          io.stderr.write(`canary "${options.canary}" was deleted from namespace "${options.namespace}"\n`);
          finish(EXIT.notFound);
        },
      }),
    );
    if (initial.error === undefined) {
      watchers.push(
        api.watchEvents(canary, {
          onChange: (event) => {
            events.set(event.uid, event);
            changed();
          },
          onEventDeleted: (event) => {
            // Expired Events leave the view, but nothing is printed about it.
            events.delete(event.uid);
          },
        }),
      );
    }
  });
}
