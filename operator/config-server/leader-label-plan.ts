// Which operator pods should carry the leader label, so that the config server's Service
// (which selects on it) sends proxies to the leader only: only the standby answers 503.
// Pure: the labeller lists the labelled pods and applies the patches this returns.

export const LEADER_LABEL = 'sluice.dev/leader';
export const LEADER_LABEL_VALUE = 'true';

export interface LeaderLabelState {
  /** This process's pod. */
  self: string;
  leading: boolean;
  /** Pods that carry the label now. */
  labelled: readonly string[];
}

export interface LeaderLabelPatch {
  pod: string;
  /** true: set the label; false: remove it. */
  label: boolean;
}

export function leaderLabelPatches(state: LeaderLabelState): LeaderLabelPatch[] {
  const patches: LeaderLabelPatch[] = [];
  if (state.leading) {
    if (!state.labelled.includes(state.self)) patches.push({ pod: state.self, label: true });
    // A leader that died without cleaning up (SIGKILL, a lost node) left its label: only the
    // leader, whose lease proves it, takes it off; a standby's view of who leads may be stale.
    for (const pod of state.labelled) if (pod !== state.self) patches.push({ pod, label: false });
  } else if (state.labelled.includes(state.self)) {
    patches.push({ pod: state.self, label: false });
  }
  return patches;
}
