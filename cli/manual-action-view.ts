// What became of manual actions: the request in the sluice.dev/action annotation and the
// operator's answer in status.manualAction. A request is "pending" until the answer carries
// its nonce; a request set by hand without a nonce is answered when the action matches.
import { ACTION_ANNOTATION, type Canary, type ManualActionStatus, parseActionAnnotation } from '../crds/index.js';

export type RequestState =
  | { kind: 'none' }
  | { kind: 'invalid'; value: string; error: string }
  /** Requested, and the operator has not answered this request yet. */
  | { kind: 'unanswered'; action: string; nonce: string };

export function requestState(canary: Canary): RequestState {
  const value = canary.metadata.annotations?.[ACTION_ANNOTATION];
  if (value === undefined) return { kind: 'none' };
  const parsed = parseActionAnnotation(value);
  if (!parsed.ok) return { kind: 'invalid', value, error: parsed.error };
  const answer = canary.status?.manualAction;
  const { action, nonce } = parsed.request;
  const answered = answer !== undefined && answer.nonce === nonce && answer.action === action && answer.state !== 'Pending';
  return answered ? { kind: 'none' } : { kind: 'unanswered', action, nonce };
}

/** What the requester of `nonce` learns from the Canary as it is now. */
export type ActionOutcome =
  | { state: 'waiting' }
  | { state: 'pending'; message: string }
  | { state: 'applied'; message: string }
  | { state: 'rejected'; message: string }
  /** Someone replaced our request with theirs before the operator answered ours. */
  | { state: 'superseded'; message: string };

export function actionOutcome(canary: Canary, nonce: string): ActionOutcome {
  const answer: ManualActionStatus | undefined = canary.status?.manualAction;
  if (answer !== undefined && answer.nonce === nonce) {
    const message = answer.message ?? '';
    if (answer.state === 'Applied') return { state: 'applied', message };
    if (answer.state === 'Rejected') return { state: 'rejected', message };
    return { state: 'pending', message };
  }
  const value = canary.metadata.annotations?.[ACTION_ANNOTATION];
  const parsed = value === undefined ? undefined : parseActionAnnotation(value);
  if (parsed?.ok === true && parsed.request.nonce === nonce) return { state: 'waiting' };
  return { state: 'superseded', message: value === undefined ? 'the request annotation was removed' : `the annotation now requests ${value}` };
}
