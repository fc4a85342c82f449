// Dispatch: parse the command line, run the command, and turn every failure into one line
// on stderr and a documented exit code.
import { parseCommandLine } from './args.js';
import { CliError } from './cli-error.js';
import { runCheck } from './commands/check.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { COMMAND_HELP, MAIN_HELP } from './usage.js';

export async function run(argv: readonly string[], io: Io): Promise<ExitCode> {
  const parsed = parseCommandLine(argv, io.now());
  if (!parsed.ok) {
    const hint = parsed.topic === undefined ? 'kubectl sluice --help' : `kubectl sluice ${parsed.topic} --help`;
    io.stderr.write(`error: ${parsed.error}\nSee "${hint}".\n`);
    return EXIT.usage;
  }
  const { command, globals } = parsed;
  try {
    switch (command.name) {
      case 'help': {
        const text = command.topic === undefined ? MAIN_HELP : COMMAND_HELP[command.topic];
        if (text === undefined) {
          io.stderr.write(`error: no help for ${JSON.stringify(command.topic)}\n${MAIN_HELP}`);
          return EXIT.usage;
        }
        io.stdout.write(text);
        return EXIT.ok;
      }
      case 'check':
        return await runCheck(command, io);
      default: {
        const { runClusterCommand } = await import('./cluster-commands.js');
        return await runClusterCommand(command, globals, io);
      }
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.unavailable;
  }
}
