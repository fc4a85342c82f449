// Exit codes, documented in `kubectl sluice --help`. CI pipelines branch on them, so they
// are part of the interface: never renumber, only add.

export const EXIT = {
  /** Done: the canary reached what was waited for, the action was applied, the manifests are valid. */
  ok: 0,
  /** Done, but the answer is "no": the opposite phase was reached, the action was rejected, problems were found. */
  negative: 1,
  /** No answer in time: `wait --timeout`, or no operator answered an action. */
  timeout: 2,
  /** The command line or the kubeconfig is wrong (unknown flag, missing argument, unknown context). */
  usage: 3,
  /** The canary (or the Canary API itself) does not exist. */
  notFound: 4,
  /** The API server refused the credentials (401) or the permission (403). */
  forbidden: 5,
  /** The API server could not be reached, or failed in an unexpected way. */
  unavailable: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
