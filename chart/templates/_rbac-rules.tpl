{{/*
Exactly what sluice-operator calls, nothing more; no wildcards. The same rules back a
ClusterRole (scope "cluster") or a Role in the watched namespace (scope "namespace").
Reads come from informers (list + watch, never a single get); writes are server-side apply
(patch, plus create for objects that do not exist yet), JSON merge patches and deletes.
*/}}
{{- define "sluice.workloadRules" -}}
# MeshRoute controller: informers over apex and backend Services; merge-patches an apex
# Service's selector and targetPort; applies and deletes the waypoint's Service.
# Canary controller: applies <name>-primary and <name>-canary Services, deletes them on Canary deletion.
- apiGroups: [""]
  resources: [services]
  verbs: [list, watch, create, patch, delete]
# MeshRoute controller: endpoints of backend Services, pushed to the proxies.
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
# MeshRoute controller: the waypoint's ServiceAccount (server-side apply, delete).
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [create, patch, delete]
# MeshRoute controller: informer over waypoint Deployments; applies and deletes them.
# Canary controller: informer over targets; applies <name>-primary; scales the target with a
# merge patch of spec.replicas (not the scale subresource); deletes the primary on Canary deletion.
- apiGroups: [apps]
  resources: [deployments]
  verbs: [list, watch, create, patch, delete]
# Canary controller: reads the target's HorizontalPodAutoscaler (spec.autoscalerRef) and
# keeps the primary's own copy with server-side apply; deletes it with the Canary.
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, create, patch, delete]
# Canary controller: informers over the ConfigMaps and Secrets a target uses (their hashes
# detect new revisions); MetricTemplates and AlertProviders name Secrets with credentials.
- apiGroups: [""]
  resources: [configmaps, secrets]
  verbs: [list, watch]
{{- if include "sluice.managesWaypointCa" . }}
# MeshRoute controller: the waypoints' CA ConfigMap, applied (server-side apply: patch, and
# create when it is new) into each namespace with a waypoint and deleted with it. The API
# server checks an apply that creates against `create` with the object's name, so all three
# are limited to that one name.
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [{{ .Values.configServer.tls.caConfigMapName | quote }}]
  verbs: [create, patch, delete]
{{- end }}
# Event recorder: creates Events and patches their counts.
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
# Canaries: informer; the controller adds and removes its finalizer with merge patches.
- apiGroups: [sluice.dev]
  resources: [canaries]
  verbs: [list, watch, patch]
# MeshRoutes: informer; finalizer patches. The Canary controller applies and deletes its route.
- apiGroups: [sluice.dev]
  resources: [meshroutes]
  verbs: [list, watch, create, patch, delete]
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
  verbs: [list, watch]
{{- end }}
