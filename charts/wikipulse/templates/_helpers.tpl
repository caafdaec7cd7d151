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
