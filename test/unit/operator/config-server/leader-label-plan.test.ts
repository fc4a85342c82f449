import { leaderLabelPatches } from '../../../../operator/config-server/leader-label-plan.js';

describe('leader label plan', () => {
  it.each([
    ['a new leader labels itself', { self: 'a', leading: true, labelled: [] }, [{ pod: 'a', label: true }]],
    ['a leader already labelled does nothing', { self: 'a', leading: true, labelled: ['a'] }, []],
    ['a leader takes the label off a dead leader', { self: 'b', leading: true, labelled: ['a'] }, [{ pod: 'b', label: true }, { pod: 'a', label: false }]],
    ['a leader takes every other label off', { self: 'b', leading: true, labelled: ['a', 'b', 'c'] }, [{ pod: 'a', label: false }, { pod: 'c', label: false }]],
    ['a standby takes its own stale label off (restart after a crash)', { self: 'a', leading: false, labelled: ['a', 'b'] }, [{ pod: 'a', label: false }]],
    ["a standby leaves the leader's label alone", { self: 'a', leading: false, labelled: ['b'] }, []],
    ['a standby with nothing labelled does nothing', { self: 'a', leading: false, labelled: [] }, []],
  ])('%s', (_name, state, patches) => {
    expect(leaderLabelPatches(state)).toEqual(patches);
  });
});
