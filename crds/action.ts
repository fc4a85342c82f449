// Manual actions without editing the spec (so GitOps sees no drift): a client sets the
// annotation sluice.dev/action on the Canary to "<action>:<nonce>", the operator carries
// it out and reports it in status.manualAction with the same nonce. A fresh nonce per
// request makes a repeated action ("promote" twice) a new annotation value, hence a new
// event, and lets the requester recognise the answer to its own request.

import { GROUP } from './group.js';
import { MANUAL_ACTIONS, type ManualActionName } from './canary.js';

export const ACTION_ANNOTATION = `${GROUP}/action`;

/** Nonces are short tokens: letters, digits, '-' and '_', at most 64 characters. */
const NONCE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface ActionRequest {
  action: ManualActionName;
  /** Empty when the annotation had none (e.g. set by hand with kubectl annotate). */
  nonce: string;
}

export function isManualAction(value: string): value is ManualActionName {
  return (MANUAL_ACTIONS as readonly string[]).includes(value);
}

/** The annotation value for a request; throws on a nonce that parseActionAnnotation would refuse. */
export function formatActionAnnotation(request: ActionRequest): string {
  if (request.nonce === '') return request.action;
  if (!NONCE_PATTERN.test(request.nonce)) throw new RangeError(`invalid nonce ${JSON.stringify(request.nonce)}`);
  return `${request.action}:${request.nonce}`;
}

export type ParsedAction = { ok: true; request: ActionRequest } | { ok: false; error: string };

/** Parses "promote", "promote:3f9a..." and so on; anything else is an error the operator reports. */
export function parseActionAnnotation(value: string): ParsedAction {
  const colon = value.indexOf(':');
  const action = (colon < 0 ? value : value.slice(0, colon)).trim();
  const nonce = colon < 0 ? '' : value.slice(colon + 1).trim();
  if (!isManualAction(action)) {
    return { ok: false, error: `unknown action ${JSON.stringify(action)}: want one of ${MANUAL_ACTIONS.join(', ')}` };
  }
  if (colon >= 0 && !NONCE_PATTERN.test(nonce)) {
    return { ok: false, error: `invalid nonce ${JSON.stringify(nonce)}: want 1 to 64 letters, digits, - or _` };
  }
  return { ok: true, request: { action, nonce } };
}
