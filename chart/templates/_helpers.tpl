{{/*
Names. The operator's objects are "<fullname>-operator"; with the usual release name
"sluice" that is "sluice-operator", the name the operator's own defaults assume.
*/}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sluice.operatorName" -}}
{{- printf "%s-operator" (include "sluice.fullname" .) -}}
{{- end -}}

{{/* Cluster-scoped objects carry the release namespace: two releases never share one. */}}
{{- define "sluice.clusterName" -}}
{{- printf "%s-%s" (include "sluice.operatorName" .) .Release.Namespace | trunc 253 -}}
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sluice.operatorName" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sluice.tlsSecretName" -}}
{{- if eq .Values.configServer.tls.mode "existingSecret" -}}
{{- .Values.configServer.tls.existingSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "sluice.operatorName" .) -}}
{{- end -}}
{{- end -}}

{{/* The namespace the operator watches: "" (all) in cluster scope. */}}
{{- define "sluice.watchNamespace" -}}
{{- if eq .Values.rbac.scope "namespace" -}}
{{- default .Release.Namespace .Values.rbac.watchNamespace -}}
{{- end -}}
{{- end -}}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* image reference: repository@digest, or repository:tag (tag defaults to appVersion). */}}
{{- define "sluice.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "sluice.waypointImage" -}}
{{- $repository := default .Values.image.repository .Values.waypoint.image.repository -}}
{{- if .Values.waypoint.image.tag -}}
{{- printf "%s:%s" $repository .Values.waypoint.image.tag -}}
{{- else if and .Values.image.digest (not .Values.waypoint.image.repository) -}}
{{- printf "%s@%s" $repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "sluice.configServerUrl" -}}
{{- if .Values.waypoint.configServerUrl -}}
{{- .Values.waypoint.configServerUrl -}}
{{- else -}}
{{- $scheme := ternary "http" "https" (eq .Values.configServer.tls.mode "none") -}}
{{- printf "%s://%s.%s.svc:%d" $scheme (include "sluice.operatorName" .) .Release.Namespace (int .Values.configServer.port) -}}
{{- end -}}
{{- end -}}

{{/* The name the chart's certificate is issued for (tls.mode generated), unless told otherwise. */}}
{{- define "sluice.configServerName" -}}
{{- default (printf "%s.%s.svc" (include "sluice.operatorName" .) .Release.Namespace) .Values.waypoint.configServerName -}}
{{- end -}}

{{/* The ConfigMap in the release namespace the operator reads the CA from (and copies into waypoint namespaces). */}}
{{- define "sluice.caSourceName" -}}
{{- printf "%s-ca" (include "sluice.operatorName" .) -}}
{{- end -}}

{{/* The operator manages the waypoints' CA ConfigMaps: waypoints on, and a certificate to trust. */}}
{{- define "sluice.managesWaypointCa" -}}
{{- if and .Values.waypoint.enabled (ne .Values.configServer.tls.mode "none") -}}true{{- end -}}
{{- end -}}

{{/* Checks across values that a JSON schema cannot express clearly. */}}
{{- define "sluice.validate" -}}
{{- if and (not .Values.operator.leaderElection.enabled) (gt (int .Values.operator.replicas) 1) -}}
{{- fail (printf "operator.replicas is %d but operator.leaderElection.enabled is false: more than one operator without leader election would fight over every object. Enable leader election or set operator.replicas to 1." (int .Values.operator.replicas)) -}}
{{- end -}}
{{- if and (eq .Values.configServer.tls.mode "existingSecret") (not .Values.configServer.tls.existingSecret) -}}
{{- fail "configServer.tls.mode is existingSecret but configServer.tls.existingSecret is empty: name the kubernetes.io/tls Secret (keys tls.crt and tls.key) in the release namespace." -}}
{{- end -}}
{{- if and (eq .Values.configServer.tls.mode "existingSecret") .Values.waypoint.enabled (not .Values.configServer.tls.caCert) -}}
{{- fail "configServer.tls.mode is existingSecret but configServer.tls.caCert is empty: waypoints need the PEM CA certificate that signed the Secret's certificate to trust the config server." -}}
{{- end -}}
{{- if and (eq .Values.configServer.tls.mode "none") .Values.waypoint.configServerName -}}
{{- fail (printf "waypoint.configServerName is %q but configServer.tls.mode is none: there is no certificate to verify. Remove the name or turn TLS on." .Values.waypoint.configServerName) -}}
{{- end -}}
{{- with .Values.waypoint.configServerUrl -}}
{{- if and (eq $.Values.configServer.tls.mode "none") (hasPrefix "https://" .) -}}
{{- fail (printf "waypoint.configServerUrl is %q but configServer.tls.mode is none: the config server serves plain HTTP, use http://." .) -}}
{{- end -}}
{{- if and (ne $.Values.configServer.tls.mode "none") (hasPrefix "http://" .) -}}
{{- fail (printf "waypoint.configServerUrl is %q but the config server serves TLS (configServer.tls.mode %s): use https://." . $.Values.configServer.tls.mode) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.rbac.watchNamespace (ne .Values.rbac.scope "namespace") -}}
{{- fail (printf "rbac.watchNamespace is %q but rbac.scope is %q: a watch namespace only applies with rbac.scope=namespace." .Values.rbac.watchNamespace .Values.rbac.scope) -}}
{{- end -}}
{{- if and .Values.metrics.serviceMonitor.enabled (not (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor")) -}}
{{- fail "metrics.serviceMonitor.enabled is true but the cluster has no monitoring.coreos.com/v1 ServiceMonitor kind: install the Prometheus Operator CRDs first (with helm template, pass --api-versions monitoring.coreos.com/v1/ServiceMonitor)." -}}
{{- end -}}
{{- if and .Values.metrics.podMonitor.enabled (not (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/PodMonitor")) -}}
{{- fail "metrics.podMonitor.enabled is true but the cluster has no monitoring.coreos.com/v1 PodMonitor kind: install the Prometheus Operator CRDs first (with helm template, pass --api-versions monitoring.coreos.com/v1/PodMonitor)." -}}
{{- end -}}
{{- end -}}
