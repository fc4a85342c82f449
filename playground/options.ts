// The playground's command line. Pure.

export interface PlaygroundOptions {
  /** Run both rollouts, then stop everything and exit (0 when both ended as expected). */
  exitAfter: boolean;
  /** Print lines instead of redrawing, even on a terminal. */
  plain: boolean;
  /** Keep the working directory (logs of every process) after exit. */
  keepLogs: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run demo [-- FLAGS]      (or: node dist/playground/main.js [FLAGS])

Starts a local Kubernetes control plane with Sluice, the demo app and its clients, rolls
out a healthy revision (promoted) and a faulty one (rolled back) while you watch, then
leaves everything running for you to explore until Ctrl-C.

Flags:
  --exit-after, --no-wait   exit after the two rollouts (exit code 0 when the first was
                            promoted and the second rolled back)
  --plain                   print one line per change instead of redrawing the screen
                            (the default when the output is not a terminal)
  --keep-logs               keep the logs of every process after exit
  -h, --help                this help
`;

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[]): PlaygroundOptions {
  const options: PlaygroundOptions = { exitAfter: false, plain: false, keepLogs: false, help: false };
  for (const arg of argv) {
    switch (arg) {
      case '--exit-after':
      case '--no-wait':
        options.exitAfter = true;
        break;
      case '--plain':
        options.plain = true;
        break;
      case '--keep-logs':
        options.keepLogs = true;
        break;
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`);
    }
  }
  return options;
}
