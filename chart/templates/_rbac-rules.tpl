{{/*
Exactly what sluice-operator calls, nothing more; no wildcards. The same rules back a
ClusterRole (scope "cluster") or a Role in the watched namespace (scope "namespace").
Reads come from informers (list + watch); writes are server-side apply (patch, which
creates missing objects), JSON merge patches (patch) and deletes.
*/}}
{{- define "sluice.workloadRules" -}}
# MeshRoute controller: informers over apex and backend Services; merge-patches an apex
# Service's selector and targetPort; applies and deletes the waypoint's Service.
# Canary controller: applies <name>-primary and <name>-canary Services, deletes them on Canary deletion.
- apiGroups: [""]
  resources: [services]
  verbs: [get, list, watch, create, patch, delete]
# MeshRoute controller: endpoints of backend Services, pushed to the proxies.
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
# MeshRoute controller: the waypoint's ServiceAccount (server-side apply, delete).
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [create, patch, delete]
# MeshRoute controller: informer over waypoint Deployments; applies and deletes them.
# Canary controller: reads targets, applies <name>-primary, deletes it on Canary deletion.
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, patch, delete]
# Canary controller: scales the target and the primary.
- apiGroups: [apps]
  resources: [deployments/scale]
  verbs: [get, patch, update]
# Canary controller: copies the target's HorizontalPodAutoscaler for the primary.
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, patch, delete]
# Canary controller: hashes the ConfigMaps and Secrets a target uses to detect new revisions;
# analysis and alerts read credentials from the Secrets MetricTemplates and AlertProviders name.
- apiGroups: [""]
  resources: [configmaps, secrets]
  verbs: [get, list, watch]
# Event recorder: creates Events and patches their counts.
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
# Canaries: informer; the controller adds and removes its finalizer with merge patches.
- apiGroups: [sluice.dev]
  resources: [canaries]
  verbs: [get, list, watch, patch]
# MeshRoutes: informer; finalizer patches. The Canary controller applies and deletes its route.
- apiGroups: [sluice.dev]
  resources: [meshroutes]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [sluice.dev]
  resources: [canaries/status, meshroutes/status]
  verbs: [patch]
# Owner references with blockOwnerDeletion on objects a Canary owns need this
# (OwnerReferencesPermissionEnforcement admission).
- apiGroups: [sluice.dev]
  resources: [canaries/finalizers]
  verbs: [update]
- apiGroups: [sluice.dev]
  resources: [metrictemplates, alertproviders]
  verbs: [get, list, watch]
{{- end }}
