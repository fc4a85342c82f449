// Help texts. The exit codes are part of the interface CI scripts rely on; they are listed
// here once and shown by --help of every command.
import { EXIT } from './exit-codes.js';

export const EXIT_CODES_HELP = `Exit codes:
  ${EXIT.ok}  done: reached what was waited for, action applied, manifests valid
  ${EXIT.negative}  done, but no: the opposite phase was reached (wait), the action was
     rejected or superseded, check found problems
  ${EXIT.timeout}  timed out: wait --timeout passed, or nobody answered an action (is the
     operator running?)
  ${EXIT.usage}  wrong usage or configuration: unknown flag or command, missing argument,
     unknown context, unreadable kubeconfig or manifest file
  ${EXIT.notFound}  not found: no such canary (or the Sluice CRDs are not installed)
  ${EXIT.forbidden}  not allowed: the API server refused the credentials (401) or the
     permission (403)
  ${EXIT.unavailable}  the API server could not be reached or failed`;

const GLOBAL_FLAGS = `Global flags:
  --kubeconfig PATH      kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME         kubeconfig context (default: the current context)
  -n, --namespace NAME   namespace (default: the context's namespace, then "default")
  -h, --help             help for a command`;

export const MAIN_HELP = `kubectl-sluice: watch and steer Sluice canary rollouts.

Usage:
  kubectl sluice COMMAND [flags]      (as a kubectl plugin)
  kubectl-sluice COMMAND [flags]      (standalone)

Commands:
  get [NAME]          list canaries: phase, weight, failed checks
  status NAME         one rollout in detail: weight, analysis, actions, conditions, events
  promote NAME        promote the canary now, skipping the remaining analysis
  abort NAME          roll back now: all traffic to the primary
  retry NAME          roll out a Failed revision again
  pause NAME          hold the rollout at its current step
  resume NAME         continue a paused rollout
  wait NAME --for=succeeded|failed|promoted
                      block until the rollout gets there (for CI pipelines)
  check FILE...       validate manifests offline against the Sluice CRD schemas

Run "kubectl sluice COMMAND --help" for a command's flags. As a kubectl plugin, flags go
after "sluice" (kubectl sluice -n shop get): kubectl refuses flags before a plugin's name.

${GLOBAL_FLAGS}

${EXIT_CODES_HELP}
`;

const ACTION_HELP = (action: string, what: string): string => `kubectl sluice ${action} NAME: ${what}

The request is the annotation sluice.dev/action=${action}:<nonce> on the Canary, set with a
JSON merge patch: the spec is not touched, so GitOps tools see no drift. The command then
waits until the operator answers in status.manualAction with the same nonce and prints
"Applied" or "Rejected" with the operator's message.

Flags:
  --no-wait              set the annotation and return at once
  --timeout DURATION     how long to wait for the answer (default 30s)

Needs permission to patch canaries in the namespace.

${GLOBAL_FLAGS}

${EXIT_CODES_HELP}
`;

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  get: `kubectl sluice get [NAME]: list canaries

Columns are the Canary CRD's printer columns: NAME, PHASE, WEIGHT, FAILED CHECKS,
LAST TRANSITION (and with -o wide: INTERVAL, STEP, MAX WEIGHT, PAUSED).

Flags:
  -o, --output FORMAT    table (default), wide, json or yaml
  -A, --all-namespaces   list canaries of every namespace

${GLOBAL_FLAGS}

${EXIT_CODES_HELP}
`,
  status: `kubectl sluice status NAME: one rollout in detail

Shows the phase, the canary weight as a progress bar, failed checks against the threshold,
iterations, the last analysis (metric, value, threshold, verdict), the pending and the last
answered manual action, the conditions and the latest Events of the Canary.

Flags:
  -w, --watch            keep watching (a Kubernetes watch, no polling). On a terminal the
                         view is redrawn; otherwise (CI logs, pipes) every change is printed
                         as one time-stamped line. Stops on Ctrl-C.
  --exit-on-done         with --watch: exit when the rollout is Succeeded (exit 0) or Failed
                         (exit 1), including when it already is
  --events N             Events shown (default 10)

${GLOBAL_FLAGS}

${EXIT_CODES_HELP}
`,
  promote: ACTION_HELP('promote', 'promote the canary now, skipping the remaining analysis steps'),
  abort: ACTION_HELP('abort', 'roll back the rollout in progress: all traffic to the primary, phase Failed'),
  retry: ACTION_HELP('retry', 'roll out the revision of a Failed rollout again'),
  pause: ACTION_HELP('pause', 'hold the rollout at its current step until resume'),
  resume: ACTION_HELP('resume', 'continue a paused rollout'),
  wait: `kubectl sluice wait NAME --for=CONDITION: block until a rollout gets there

Conditions:
  succeeded   phase Succeeded; Failed is the opposite
  failed      phase Failed; Succeeded is the opposite
  promoted    phase Promoting, Finalising or Succeeded (the analysis passed or someone
              promoted); Failed is the opposite
A Canary being deleted (Terminating, Terminated) counts as the opposite of each.

Watches the Canary (a Kubernetes watch, no polling) and prints each phase change.
A Canary's first deployment ends in Initialized, not Succeeded: there is no rollout to
wait for until the Deployment changes.

Flags:
  --for CONDITION        succeeded, failed or promoted (required)
  --timeout DURATION     give up after this long (default 5m); 0 checks once
  --since TIME           ignore a phase entered before TIME (RFC 3339, or a duration such as
                         30s meaning that long ago), so that the Succeeded of the previous
                         rollout does not end the wait for the one just triggered:
                           start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
                           kubectl set image deploy/podinfo app=podinfo:6.1
                           kubectl sluice wait podinfo --for=succeeded --since=$start

Exit code 0 when reached, 1 when the opposite is reached, 2 on timeout.

${GLOBAL_FLAGS}

${EXIT_CODES_HELP}
`,
  check: `kubectl sluice check FILE...: validate manifests offline

Reads multi-document YAML (or JSON) files, directories (their *.yaml, *.yml and *.json
files) or - for stdin, and checks every Sluice object (sluice.dev/v1alpha1 Canary,
MeshRoute, MetricTemplate, AlertProvider) against:
  - the CRD's structural schema: types, required fields, enums, minimum/maximum, patterns,
    lengths, item and entry counts, duplicate list keys, unknown fields;
  - the operator's own checks (regular expressions the proxy can run, cron schedules and
    time zones of deployment windows, template variables).
Other documents are skipped with a note. Problems are printed as
  FILE:DOC: KIND/NAME: FIELD: MESSAGE

Not checked offline: the CRDs' CEL rules (e.g. "set exactly one of exact, prefix, suffix,
regex or present"), which only the API server evaluates (kubectl apply --dry-run=server
-f FILE runs them), and the operator's rules about other objects (the target Deployment
exists, ...).

Flags:
  --list-server-rules    print the rules only the API server or the operator checks, and exit

Needs no cluster and no kubeconfig.

Exit codes: 0 no problems, 1 problems found, 3 a file cannot be read.
`,
};
