// How a harness that runs a pod's process tells kwok about it: the annotation that
// test/harness/kwok-stages.yaml waits for before it marks the pod Ready. A runner claims a pod
// ("starting") as soon as it sees it, before starting anything, so that kwok's 2 s fallback
// for unattended pods does not fire; it writes "listening" once the process accepts
// connections (and passes its readiness probe), and kwok makes the pod Ready at once. Once a
// deleted pod's process has stopped, it writes "stopped" and kwok deletes the pod (until then
// the pod is Terminating and its address stays taken).
import * as k8s from '@kubernetes/client-node';

export const POD_PROCESS_ANNOTATION = 'harness.sluice.dev/process';

export type PodProcessState = 'starting' | 'listening' | 'failed' | 'stopped';

export function podProcessState(pod: k8s.V1Pod): string | undefined {
  return pod.metadata?.annotations?.[POD_PROCESS_ANNOTATION];
}

/** Records the state of a pod's process; a pod that is gone already is not an error. */
export async function markPodProcess(core: k8s.CoreV1Api, pod: k8s.V1Pod, state: PodProcessState): Promise<void> {
  if (podProcessState(pod) === state) return;
  try {
    await core.patchNamespacedPod(
      {
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        // The uid makes the patch a precondition: never annotate a namesake that replaced the pod.
        body: { metadata: { uid: pod.metadata?.uid, annotations: { [POD_PROCESS_ANNOTATION]: state } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code !== 404 && code !== 409) throw err;
  }
}
