// `kubectl sluice promote|abort|retry|pause|resume NAME`: request the action through the
// sluice.dev/action annotation with a fresh nonce, then watch for the operator's answer
// carrying that nonce in status.manualAction.
import { randomBytes } from 'node:crypto';
import type { Canary, ManualActionName } from '../../crds/index.js';
import type { CanaryApi, Watching } from '../canary-api.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { actionOutcome, type ActionOutcome } from '../manual-action-view.js';
import { formatDuration } from '../../crds/index.js';

export interface ActionOptions {
  namespace: string;
  canary: string;
  action: ManualActionName;
  wait: boolean;
  timeoutMs: number;
}

export function newNonce(): string {
  return randomBytes(6).toString('hex');
}

export async function runAction(api: CanaryApi, options: ActionOptions, io: Io, nonce = newNonce()): Promise<ExitCode> {
  const { namespace, canary: name, action } = options;
  await api.requestAction(namespace, name, action, nonce);
  io.stdout.write(`${action} requested for canary "${name}" in namespace "${namespace}" (nonce ${nonce})\n`);
  if (!options.wait) return EXIT.ok;

  return new Promise<ExitCode>((resolve) => {
    let finished = false;
    let toldPending = false;
    const finish = (code: ExitCode, line: string, to: 'stdout' | 'stderr' = 'stdout'): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unsubscribe();
      io[to].write(`${line}\n`);
      // Callbacks run only after the watch below exists: it reports asynchronously.
      void watching.stop().then(() => resolve(code));
    };
    const timer = setTimeout(() => {
      const last = watching.lastError();
      finish(
        EXIT.timeout,
        `no answer to ${action} within ${formatDuration(options.timeoutMs)}: is the Sluice operator running? ` +
          `The request stays in the annotation and is carried out when the operator sees it.${last === undefined ? '' : ` (watch error: ${last})`}`,
        'stderr',
      );
    }, options.timeoutMs);
    const unsubscribe = io.onInterrupt(() => finish(EXIT.timeout, `stopped waiting; the ${action} request stays in place`, 'stderr'));
    const onChange = (canary: Canary): void => {
      const outcome: ActionOutcome = actionOutcome(canary, nonce);
      switch (outcome.state) {
        case 'waiting':
          return;
        case 'pending':
          if (!toldPending) io.stdout.write(`Pending${outcome.message === '' ? '' : `: ${outcome.message}`}\n`);
          toldPending = true;
          return;
        case 'applied':
          return finish(EXIT.ok, `Applied${outcome.message === '' ? '' : `: ${outcome.message}`}`);
        case 'rejected':
          return finish(EXIT.negative, `Rejected${outcome.message === '' ? '' : `: ${outcome.message}`}`, 'stderr');
        case 'superseded':
          return finish(EXIT.negative, `superseded before the operator answered: ${outcome.message}`, 'stderr');
      }
    };
    const watching: Watching = api.watchCanary(namespace, name, {
      onChange,
      onDelete: () => finish(EXIT.notFound, `canary "${name}" was deleted from namespace "${namespace}"`, 'stderr'),
    });
  });
}
