{{/* The chart's name, or nameOverride. */}}
{{- define "external-secrets.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object's name: fullnameOverride, or the release name (with the chart's
name unless the release name holds it already), cut to 63 characters. */}}
{{- define "external-secrets.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The namespace the operator runs in: namespaceOverride, or the release's. */}}
{{- define "external-secrets.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride }}
{{- end }}

{{/* The namespace the operator watches in scoped mode. */}}
{{- define "external-secrets.scopedNamespace" -}}
{{- default (include "external-secrets.namespace" .) .Values.scopedNamespace }}
{{- end }}

{{- define "external-secrets.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "external-secrets.selectorLabels" -}}
app.kubernetes.io/name: {{ include "external-secrets.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "external-secrets.labels" -}}
helm.sh/chart: {{ include "external-secrets.chart" . }}
{{ include "external-secrets.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "external-secrets.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "external-secrets.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "external-secrets.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Whether ClusterSecretStores are processed: never in scoped mode (there is no cluster-wide
grant to read them), else processClusterStore. */}}
{{- define "external-secrets.clusterStores" -}}
{{- if and .Values.processClusterStore (not .Values.scopedRBAC) }}true{{ end }}
{{- end }}

{{/* "true" when the cluster fan-out kinds run: `value` (processClusterExternalSecret or
processClusterPushSecret) and no namespace scope (they list namespaces cluster-wide). */}}
{{- define "external-secrets.clusterFanOut" -}}
{{- $values := .context.Values }}
{{- if and (index $values .value) (not $values.scopedRBAC) (not $values.scopedNamespace) }}true{{ end }}
{{- end }}

{{/* "true" when a generated RBAC rule (files/rbac.yaml) is kept: its `when` names the value
that keeps it. */}}
{{- define "external-secrets.ruleKept" -}}
{{- $values := .context.Values }}
{{- $when := .rule.when | default "" }}
{{- if eq $when "" }}true
{{- else if eq $when "processClusterStore" }}{{ include "external-secrets.clusterStores" .context }}
{{- else if eq $when "processPushSecret" }}{{ if $values.processPushSecret }}true{{ end }}
{{- else if or (eq $when "processClusterExternalSecret") (eq $when "processClusterPushSecret") }}{{ include "external-secrets.clusterFanOut" (dict "value" $when "context" .context) }}
{{- else if eq $when "processClusterGenerator" }}{{ if and $values.processClusterGenerator (not $values.scopedRBAC) }}true{{ end }}
{{- else if eq $when "openshiftFinalizers" }}{{ if $values.openshiftFinalizers }}true{{ end }}
{{- else if eq $when "serviceAccountTokenCreate" }}{{ if $values.rbac.serviceAccountTokenCreate }}true{{ end }}
{{- else if eq $when "kes" }}{{ if $values.kes.enabled }}true{{ end }}
{{- else }}{{ fail (printf "files/rbac.yaml: unknown condition %q" $when) }}
{{- end }}
{{- end }}

{{/* The generated rules of `key` (controller or leaderElection) that the values keep. */}}
{{- define "external-secrets.rules" -}}
{{- $context := .context }}
{{- $rbac := $context.Files.Get "files/rbac.yaml" | fromYaml }}
{{- range $rule := index $rbac .key }}
{{- if eq (include "external-secrets.ruleKept" (dict "rule" $rule "context" $context)) "true" }}
- {{ omit $rule "when" | toYaml | nindent 2 | trim }}
{{- end }}
{{- end }}
{{- end }}

{{/* Whether the ServiceMonitor is rendered: its CRD must be served, unless renderMode says
otherwise (helm template has no cluster: the API versions given with --api-versions count). */}}
{{- define "external-secrets.renderServiceMonitor" -}}
{{- if .Values.serviceMonitor.enabled }}
{{- $served := .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" }}
{{- if or $served (eq .Values.serviceMonitor.renderMode "alwaysRender") }}true
{{- else if eq .Values.serviceMonitor.renderMode "failIfMissing" }}
{{- fail "serviceMonitor.enabled is true but the cluster does not serve monitoring.coreos.com/v1 ServiceMonitor" }}
{{- end }}
{{- end }}
{{- end }}
