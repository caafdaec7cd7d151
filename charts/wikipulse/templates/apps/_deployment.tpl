{{/*
A Wikipulse app Deployment and its Service. Arguments (a dict):
  root       the chart context
  component  ingestor | sink | bot-gateway | bot-worker
  app        the entrypoint directory under apps/
  replicas   replicas (omitted when an HPA owns them)
  recreate   true to stop the old pod before starting the new one
  opsPort    port of /metrics, /healthz and /readyz
  values     the app's values (resources, extraEnv, extraEnvFrom, extraVolumes,
             extraVolumeMounts, nodeFlags, podLabels, podAnnotations, scheduling)
  env        the app's own env entries, as YAML
  kafka      true when the app talks to Kafka, clickhouse when to ClickHouse: it gets their
             connection variables and Secret files
  clickhouseRole  the role (clickhouse.users) whose ClickHouse user it connects as; optional
  commandSigning  true for the bot's gateway and workers: they get the command signing key
*/}}
{{- define "wikipulse.appDeployment" -}}
{{- $root := .root }}
{{- $ctx := dict "root" $root "component" .component }}
{{- $v := .values }}
{{- $connection := dict "root" $root "kafka" .kafka "clickhouse" .clickhouse "clickhouseRole" .clickhouseRole "commandSigning" .commandSigning }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "wikipulse.componentName" $ctx }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "wikipulse.componentLabels" $ctx | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" .replicas) }}
  replicas: {{ .replicas }}
  {{- end }}
  {{- if .recreate }}
  strategy:
    type: Recreate
  {{- end }}
  selector:
    matchLabels:
      {{- include "wikipulse.componentSelectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- include "wikipulse.componentLabels" $ctx | nindent 8 }}
      {{- with $v.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      # The apps never call the Kubernetes API.
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: 30
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "wikipulse.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          # Node's flags go on the command line: NODE_OPTIONS refuses V8's heap tuning flags.
          command:
            - node
            {{- range $v.nodeFlags }}
            - {{ . | quote }}
            {{- end }}
            - apps/{{ .app }}/dist/main.js
          env:
            {{- .env | nindent 12 }}
            {{- with include "wikipulse.connection.env" $connection | trim }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with $v.extraEnvFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: ops
              containerPort: {{ .opsPort }}
              protocol: TCP
          startupProbe:
            httpGet:
              path: /healthz
              port: ops
            periodSeconds: 2
            failureThreshold: 30
          livenessProbe:
            httpGet:
              path: /healthz
              port: ops
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: ops
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 3
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- include "wikipulse.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            # The root filesystem is read-only; Node and its libraries may still want a scratch directory.
            - name: tmp
              mountPath: /tmp
            {{- with include "wikipulse.connection.volumeMounts" $connection | trim }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $v.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- with include "wikipulse.connection.volumes" $connection | trim }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with $v.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "wikipulse.componentName" $ctx }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "wikipulse.componentLabels" $ctx | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "wikipulse.componentSelectorLabels" $ctx | nindent 4 }}
  ports:
    - name: ops
      port: {{ .opsPort }}
      targetPort: ops
      protocol: TCP
{{- if and $v.pdb $v.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "wikipulse.componentName" $ctx }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "wikipulse.componentLabels" $ctx | nindent 4 }}
spec:
  maxUnavailable: {{ $v.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "wikipulse.componentSelectorLabels" $ctx | nindent 6 }}
{{- end }}
{{- end }}
