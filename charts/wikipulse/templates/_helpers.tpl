{{/* The chart name, or nameOverride. */}}
{{- define "wikipulse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The resource name prefix: the release name, with the chart name unless it already has it. */}}
{{- define "wikipulse.fullname" -}}
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

{{- define "wikipulse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "wikipulse.labels" -}}
helm.sh/chart: {{ include "wikipulse.chart" . }}
{{ include "wikipulse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: wikipulse
{{- end }}

{{- define "wikipulse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wikipulse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "wikipulse.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "wikipulse.operator.fullname" -}}
{{- printf "%s-operator" (include "wikipulse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "wikipulse.operator.serviceAccountName" -}}
{{- default (include "wikipulse.operator.fullname" .) .Values.operator.serviceAccount.name }}
{{- end }}

{{- define "wikipulse.operator.selectorLabels" -}}
{{ include "wikipulse.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* A component's resource name: the full name with a suffix. */}}
{{- define "wikipulse.componentName" -}}
{{- printf "%s-%s" (include "wikipulse.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "wikipulse.componentSelectorLabels" -}}
{{ include "wikipulse.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "wikipulse.componentLabels" -}}
{{ include "wikipulse.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The bootstrap servers the apps and the operator use, following kafka.mode. */}}
{{- define "wikipulse.kafka.brokers" -}}
{{- $ns := .Release.Namespace }}
{{- if eq .Values.kafka.mode "embedded" }}
{{- printf "%s-kafka.%s.svc:%d" (include "wikipulse.fullname" .) $ns (int .Values.kafka.port) }}
{{- else if eq .Values.kafka.mode "strimzi" }}
{{- printf "%s-kafka-bootstrap.%s.svc:%d" (include "wikipulse.fullname" .) $ns (int .Values.kafka.port) }}
{{- else }}
{{- .Values.kafka.brokers }}
{{- end }}
{{- end }}

{{/* The Secret holding the generated ClickHouse user and password (embedded and altinity modes). */}}
{{- define "wikipulse.clickhouse.secretName" -}}
{{- printf "%s-clickhouse-credentials" (include "wikipulse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The ClickHouse host the chart deploys (embedded and altinity modes). */}}
{{- define "wikipulse.clickhouse.host" -}}
{{- if eq .Values.clickhouse.mode "altinity" }}
{{- printf "clickhouse-%s.%s.svc" (include "wikipulse.fullname" .) .Release.Namespace }}
{{- else }}
{{- printf "%s-clickhouse.%s.svc" (include "wikipulse.fullname" .) .Release.Namespace }}
{{- end }}
{{- end }}

{{/* The ClickHouse URL the apps use, without credentials (unless it comes from urlSecret). */}}
{{- define "wikipulse.clickhouse.url" -}}
{{- if eq .Values.clickhouse.mode "external" }}
{{- .Values.clickhouse.url }}
{{- else }}
{{- printf "http://%s:8123" (include "wikipulse.clickhouse.host" .) }}
{{- end }}
{{- end }}

{{/*
The Secret (name and key) the apps read CLICKHOUSE_URL from, as "name/key"; empty when the
URL is a plain value.
*/}}
{{- define "wikipulse.clickhouse.urlSecretRef" -}}
{{- if and (eq .Values.clickhouse.mode "external") .Values.clickhouse.urlSecret.name }}
{{- printf "%s/%s" .Values.clickhouse.urlSecret.name .Values.clickhouse.urlSecret.key }}
{{- end }}
{{- end }}

{{/* The CLICKHOUSE_URL env entry of an app container. */}}
{{- define "wikipulse.clickhouse.urlEnv" -}}
{{- $ref := include "wikipulse.clickhouse.urlSecretRef" . }}
- name: CLICKHOUSE_URL
{{- if $ref }}
  valueFrom:
    secretKeyRef:
      name: {{ first (splitList "/" $ref) }}
      key: {{ last (splitList "/" $ref) }}
{{- else }}
  value: {{ include "wikipulse.clickhouse.url" . | quote }}
{{- end }}
{{- end }}

{{/* The container security context of every Wikipulse container (restricted profile). */}}
{{- define "wikipulse.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end }}
