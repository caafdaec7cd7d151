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

{{/* The Wikipulse image: global.imageRegistry in front, pinned by digest when one is set. */}}
{{- define "wikipulse.image" -}}
{{- include "wikipulse.imageRef" (dict "root" . "image" (merge (dict "tag" (default .Chart.AppVersion .Values.image.tag)) .Values.image)) }}
{{- end }}

{{/* An image reference from {repository, tag, digest}, with global.imageRegistry in front. */}}
{{- define "wikipulse.imageRef" -}}
{{- $registry := .root.Values.global.imageRegistry }}
{{- $repository := ternary (printf "%s/%s" $registry .image.repository) .image.repository (ne $registry "") }}
{{- if .image.digest }}
{{- printf "%s@%s" $repository .image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (toString .image.tag) }}
{{- end }}
{{- end }}

{{/* The default pipeline's WikiStream name: pipeline.name, or the full name. */}}
{{- define "wikipulse.pipeline.name" -}}
{{- default (include "wikipulse.fullname" .) .Values.pipeline.name | trunc 40 | trimSuffix "-" }}
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

{{/*
The NetworkPolicy rules the release's pods are built from, as YAML: who may scrape
(metricsFrom, peers) and each egress destination by name (lists of egress rules). The chart's
policies and the operator's (APP_NETWORK_POLICY) both use them, so a destination is named once.
*/}}
{{- define "wikipulse.networkPolicy.rules" -}}
{{- $np := .Values.networkPolicy }}
metricsFrom:
  - namespaceSelector: {{ toJson $np.metricsNamespaceSelector }}
    podSelector: {{ toJson $np.metricsPodSelector }}
  # The `helm test` pod.
  - podSelector:
      matchLabels:
        {{- include "wikipulse.componentSelectorLabels" (dict "root" . "component" "test") | nindent 8 }}
dns:
  - to:
      - namespaceSelector: {{ toJson $np.dns.namespaceSelector }}
        podSelector: {{ toJson $np.dns.podSelector }}
    ports:
      - { port: 53, protocol: UDP }
      - { port: 53, protocol: TCP }
kafka:
  - ports:
      - { port: {{ .Values.kafka.port }}, protocol: TCP }
    {{- if eq .Values.kafka.mode "embedded" }}
    to:
      - podSelector:
          matchLabels:
            {{- include "wikipulse.componentSelectorLabels" (dict "root" . "component" "kafka") | nindent 12 }}
    {{- else if eq .Values.kafka.mode "strimzi" }}
    to:
      - podSelector:
          matchLabels:
            strimzi.io/cluster: {{ include "wikipulse.fullname" . }}
            strimzi.io/kind: Kafka
    {{- else if $np.kafkaCidrs }}
    to:
      {{- range $np.kafkaCidrs }}
      - ipBlock: { cidr: {{ . | quote }} }
      {{- end }}
    {{- end }}
clickhouse:
  {{- if eq .Values.clickhouse.mode "embedded" }}
  - ports:
      - { port: 8123, protocol: TCP }
    to:
      - podSelector:
          matchLabels:
            {{- include "wikipulse.componentSelectorLabels" (dict "root" . "component" "clickhouse") | nindent 12 }}
  {{- else if eq .Values.clickhouse.mode "altinity" }}
  - ports:
      - { port: 8123, protocol: TCP }
    to:
      - podSelector:
          matchLabels:
            clickhouse.altinity.com/chi: {{ include "wikipulse.fullname" . }}
  {{- else }}
  - ports:
      - { port: {{ $np.clickhousePort }}, protocol: TCP }
    {{- with $np.clickhouseCidrs }}
    to:
      {{- range . }}
      - ipBlock: { cidr: {{ . | quote }} }
      {{- end }}
    {{- end }}
  {{- end }}
https:
  - ports:
      - { port: 443, protocol: TCP }
    {{- with $np.httpsCidrs }}
    to:
      {{- range . }}
      - ipBlock: { cidr: {{ . | quote }} }
      {{- end }}
    {{- end }}
apiServer:
  - ports:
      - { port: {{ $np.apiServer.port }}, protocol: TCP }
    {{- with $np.apiServer.cidrs }}
    to:
      {{- range . }}
      - ipBlock: { cidr: {{ . | quote }} }
      {{- end }}
    {{- end }}
{{- end }}

{{/*
The operator's settings for one pipeline app's pods (APP_INGESTOR_POD, APP_SINK_POD), as JSON,
from the chart's `ingestor` or `sink` values.
*/}}
{{- define "wikipulse.operator.podSettings" -}}
{{- $settings := dict
  "nodeFlags" .nodeFlags
  "logLevel" .logLevel
  "resources" .resources
  "extraEnv" .extraEnv
  "extraEnvFrom" .extraEnvFrom
  "extraVolumes" .extraVolumes
  "extraVolumeMounts" .extraVolumeMounts
  "nodeSelector" .nodeSelector
  "tolerations" .tolerations
  "topologySpreadConstraints" .topologySpreadConstraints
  "podLabels" .podLabels
  "podAnnotations" .podAnnotations }}
{{- with .affinity }}{{ $_ := set $settings "affinity" . }}{{ end }}
{{- with .priorityClassName }}{{ $_ := set $settings "priorityClassName" . }}{{ end }}
{{- if .pdb.enabled }}{{ $_ := set $settings "pdbMaxUnavailable" .pdb.maxUnavailable }}{{ end }}
{{- toJson $settings }}
{{- end }}
