import { actionOutcome, requestState } from '../../../cli/manual-action-view.js';
import type { ManualActionStatus } from '../../../crds/index.js';
import { ago, canary } from './fixtures.js';

const answer = (nonce: string, state: ManualActionStatus['state'], message = 'done'): ManualActionStatus => ({
  action: 'promote',
  nonce,
  state,
  message,
  time: ago(0),
});
const withRequest = (value: string | undefined, manualAction?: ManualActionStatus) =>
  canary({ phase: 'Progressing', ...(manualAction === undefined ? {} : { manualAction }) }, value === undefined ? {} : { annotations: { 'sluice.dev/action': value } });

describe('actionOutcome', () => {
  it('waits while the answer is for another request', () => {
    expect(actionOutcome(withRequest('promote:mine', answer('older', 'Applied')), 'mine')).toEqual({ state: 'waiting' });
    expect(actionOutcome(withRequest('promote:mine'), 'mine')).toEqual({ state: 'waiting' });
  });

  it('reports the answer that carries our nonce', () => {
    expect(actionOutcome(withRequest('promote:mine', answer('mine', 'Applied', 'promoting')), 'mine')).toEqual({ state: 'applied', message: 'promoting' });
    expect(actionOutcome(withRequest('promote:mine', answer('mine', 'Rejected', 'nothing to promote')), 'mine')).toEqual({
      state: 'rejected',
      message: 'nothing to promote',
    });
    expect(actionOutcome(withRequest('promote:mine', answer('mine', 'Pending', 'soon')), 'mine')).toEqual({ state: 'pending', message: 'soon' });
  });

  it('notices when someone replaced or removed the request first', () => {
    expect(actionOutcome(withRequest('abort:theirs'), 'mine')).toEqual({ state: 'superseded', message: 'the annotation now requests abort:theirs' });
    expect(actionOutcome(withRequest(undefined), 'mine')).toEqual({ state: 'superseded', message: 'the request annotation was removed' });
  });
});

describe('requestState', () => {
  it('is none without an annotation or once answered', () => {
    expect(requestState(withRequest(undefined))).toEqual({ kind: 'none' });
    expect(requestState(withRequest('promote:a', answer('a', 'Applied')))).toEqual({ kind: 'none' });
  });

  it('is unanswered until the answer carries the nonce, and while Pending', () => {
    expect(requestState(withRequest('promote:b', answer('a', 'Applied')))).toEqual({ kind: 'unanswered', action: 'promote', nonce: 'b' });
    expect(requestState(withRequest('promote:b', answer('b', 'Pending')))).toEqual({ kind: 'unanswered', action: 'promote', nonce: 'b' });
  });

  it('handles a request set by hand without a nonce', () => {
    expect(requestState(withRequest('promote', answer('', 'Applied')))).toEqual({ kind: 'none' });
    expect(requestState(withRequest('pause'))).toEqual({ kind: 'unanswered', action: 'pause', nonce: '' });
  });

  it('reports an invalid annotation', () => {
    expect(requestState(withRequest('rollback'))).toMatchObject({ kind: 'invalid', value: 'rollback' });
  });
});
