// The commands that talk to a cluster. run.ts loads this module only for them, so that
// --help and the offline `check` do not pay for loading the Kubernetes client.
import type { Command, Globals } from './args.js';
import { CanaryApi } from './canary-api.js';
import { runAction } from './commands/action.js';
import { runGet } from './commands/get.js';
import { runStatus } from './commands/status.js';
import { runWait } from './commands/wait.js';
import type { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { loadKubeTarget } from './kubeconfig.js';
import { cliLogger } from './logger.js';

export type ClusterCommand = Extract<Command, { name: 'get' | 'status' | 'action' | 'wait' }>;

export async function runClusterCommand(command: ClusterCommand, globals: Globals, io: Io): Promise<ExitCode> {
  const target = loadKubeTarget(globals, io.env);
  const api = new CanaryApi(target, cliLogger((line) => io.stderr.write(line)));
  const namespace = target.namespace;
  switch (command.name) {
    case 'get':
      return runGet(api, { output: command.output, namespace: command.allNamespaces ? undefined : namespace, ...(command.canary === undefined ? {} : { canary: command.canary }) }, io);
    case 'status':
      return runStatus(api, { ...command, namespace }, io);
    case 'action':
      return runAction(api, { ...command, namespace }, io);
    case 'wait':
      return runWait(api, { ...command, namespace }, io);
  }
}
