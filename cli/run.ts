// Dispatch: parse the command line, connect when the command needs a cluster, run it, and
// turn every failure into one line on stderr and a documented exit code.
import { parseCommandLine } from './args.js';
import { CanaryApi } from './canary-api.js';
import { CliError } from './cli-error.js';
import { runAction } from './commands/action.js';
import { runCheck } from './commands/check.js';
import { runGet } from './commands/get.js';
import { runStatus } from './commands/status.js';
import { runWait } from './commands/wait.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { loadKubeTarget } from './kubeconfig.js';
import { cliLogger } from './logger.js';
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
      default:
        break;
    }
    const target = loadKubeTarget(globals, io.env);
    const api = new CanaryApi(target, cliLogger((line) => io.stderr.write(line)));
    const namespace = target.namespace;
    switch (command.name) {
      case 'get':
        return await runGet(api, { output: command.output, namespace: command.allNamespaces ? undefined : namespace, ...(command.canary === undefined ? {} : { canary: command.canary }) }, io);
      case 'status':
        return await runStatus(api, { ...command, namespace }, io);
      case 'action':
        return await runAction(api, { ...command, namespace }, io);
      case 'wait':
        return await runWait(api, { ...command, namespace }, io);
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
