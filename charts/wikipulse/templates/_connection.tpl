{{/*
How the apps authenticate to Kafka and ClickHouse. Every secret reaches a pod as a file: a
Secret key projected onto a fixed name in a read-only volume of its own, named by a `*_FILE`
variable. apps/operator/src/children.ts mounts the same files at the same paths in the pods
the operator creates for WikiStreams.
*/}}

{{/* Each `*_FILE` variable: its volume (mounted at /var/run/secrets/wikipulse/<volume>) and file name. */}}
{{- define "wikipulse.secretFiles" -}}
KAFKA_TLS_CA_FILE: { volume: kafka-tls-ca, file: ca.crt }
KAFKA_TLS_CERT_FILE: { volume: kafka-tls-cert, file: tls.crt }
KAFKA_TLS_KEY_FILE: { volume: kafka-tls-key, file: tls.key }
KAFKA_SASL_PASSWORD_FILE: { volume: kafka-sasl-password, file: password }
KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: { volume: kafka-sasl-token, file: token }
CLICKHOUSE_PASSWORD_FILE: { volume: clickhouse-password, file: password }
CLICKHOUSE_TLS_CA_FILE: { volume: clickhouse-tls-ca, file: ca.crt }
CLICKHOUSE_TLS_CERT_FILE: { volume: clickhouse-tls-cert, file: tls.crt }
CLICKHOUSE_TLS_KEY_FILE: { volume: clickhouse-tls-key, file: tls.key }
COMMAND_SIGNING_KEY_FILE: { volume: command-signing-key, file: key }
{{- end }}

{{/* The KafkaUser the apps connect as in strimzi mode; the User Operator names its Secret the same. */}}
{{- define "wikipulse.kafka.strimziUser" -}}
{{- printf "%s-apps" (include "wikipulse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret holding the ClickHouse user and password: name, userKey, passwordKey (YAML); empty without credentials. */}}
{{- define "wikipulse.clickhouse.credentials" -}}
{{- $auth := .Values.clickhouse.auth }}
{{- if $auth.existingSecret }}
{{- if eq .Values.clickhouse.mode "altinity" }}
{{- fail "clickhouse.auth.existingSecret does not apply to the altinity mode: the ClickHouseInstallation names its user at render time (clickhouse.user) and takes the password from the generated Secret" }}
{{- end }}
name: {{ $auth.existingSecret }}
userKey: {{ $auth.userKey }}
passwordKey: {{ $auth.passwordKey }}
{{- else if ne .Values.clickhouse.mode "external" }}
name: {{ include "wikipulse.clickhouse.secretName" . }}
userKey: user
passwordKey: password
{{- end }}
{{- end }}

{{/*
The connection settings of every mode, normalised (YAML, read back with fromYaml):
  kafkaTls        true for TLS towards the brokers
  kafkaMechanism  the SASL mechanism; empty without SASL
  kafkaUsername   the SASL user: {value} or {name, key} of a Secret
  clickhouseUser  the ClickHouse user: {name, key} of a Secret; absent without credentials
  files           per `*_FILE` variable, the {name, key} of the Secret that fills it
The render fails on settings that cannot work, with the value to fix.
*/}}
{{- define "wikipulse.connection" -}}
{{- $v := .Values }}
{{- $files := dict }}
{{- $c := dict "kafkaTls" false "kafkaMechanism" "" "files" $files }}
{{- if eq $v.kafka.mode "strimzi" }}
{{- $user := include "wikipulse.kafka.strimziUser" . }}
{{- $_ := set $c "kafkaTls" true }}
{{- $_ = set $c "kafkaMechanism" "scram-sha-512" }}
{{- $_ = set $c "kafkaUsername" (dict "value" $user) }}
{{- $_ = set $files "KAFKA_TLS_CA_FILE" (dict "name" (printf "%s-cluster-ca-cert" (include "wikipulse.fullname" .)) "key" "ca.crt") }}
{{- $_ = set $files "KAFKA_SASL_PASSWORD_FILE" (dict "name" $user "key" "password") }}
{{- else if eq $v.kafka.mode "external" }}
{{- $tls := $v.kafka.external.tls }}
{{- $sasl := $v.kafka.external.sasl }}
{{- if $tls.enabled }}
{{- $_ := set $c "kafkaTls" true }}
{{- with $tls.caSecret.name }}
{{- $_ := set $files "KAFKA_TLS_CA_FILE" (dict "name" . "key" $tls.caSecret.key) }}
{{- end }}
{{- with $tls.clientSecret.name }}
{{- $_ := set $files "KAFKA_TLS_CERT_FILE" (dict "name" . "key" $tls.clientSecret.certKey) }}
{{- $_ = set $files "KAFKA_TLS_KEY_FILE" (dict "name" . "key" $tls.clientSecret.keyKey) }}
{{- end }}
{{- else if or $tls.caSecret.name $tls.clientSecret.name }}
{{- fail "kafka.external.tls.caSecret and clientSecret need kafka.external.tls.enabled=true" }}
{{- end }}
{{- with $sasl.mechanism }}
{{- if not $sasl.existingSecret }}
{{- fail (printf "kafka.external.sasl.mechanism %s needs kafka.external.sasl.existingSecret: the name of a Secret holding the credentials" .) }}
{{- end }}
{{- if and (has . (list "plain" "oauthbearer")) (not $tls.enabled) }}
{{- fail (printf "kafka.external.sasl.mechanism %s sends its secret in clear: set kafka.external.tls.enabled=true" .) }}
{{- end }}
{{- $_ := set $c "kafkaMechanism" . }}
{{- if eq . "oauthbearer" }}
{{- $_ = set $files "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE" (dict "name" $sasl.existingSecret "key" $sasl.tokenKey) }}
{{- else }}
{{- $_ = set $c "kafkaUsername" (dict "name" $sasl.existingSecret "key" $sasl.usernameKey) }}
{{- $_ = set $files "KAFKA_SASL_PASSWORD_FILE" (dict "name" $sasl.existingSecret "key" $sasl.passwordKey) }}
{{- end }}
{{- end }}
{{- end }}
{{- with include "wikipulse.clickhouse.credentials" . | fromYaml }}
{{- $_ := set $c "clickhouseUser" (dict "name" .name "key" .userKey) }}
{{- $_ = set $files "CLICKHOUSE_PASSWORD_FILE" (dict "name" .name "key" .passwordKey) }}
{{- end }}
{{- $chTls := $v.clickhouse.tls }}
{{- if or $chTls.caSecret.name $chTls.clientSecret.name }}
{{- if not (or (include "wikipulse.clickhouse.urlSecretRef" .) (hasPrefix "https://" (include "wikipulse.clickhouse.url" .))) }}
{{- fail "clickhouse.tls needs an https:// clickhouse.url (external mode)" }}
{{- end }}
{{- if and $chTls.clientSecret.name (not $chTls.caSecret.name) }}
{{- fail "clickhouse.tls.clientSecret needs clickhouse.tls.caSecret too: the apps take a client certificate only together with the CAs they trust (for a public CA, a Secret holding the system bundle)" }}
{{- end }}
{{- end }}
{{- with $chTls.caSecret.name }}
{{- $_ := set $files "CLICKHOUSE_TLS_CA_FILE" (dict "name" . "key" $chTls.caSecret.key) }}
{{- end }}
{{- with $chTls.clientSecret.name }}
{{- $_ := set $files "CLICKHOUSE_TLS_CERT_FILE" (dict "name" . "key" $chTls.clientSecret.certKey) }}
{{- $_ = set $files "CLICKHOUSE_TLS_KEY_FILE" (dict "name" . "key" $chTls.clientSecret.keyKey) }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/*
The `*_FILE` variables a container gets, as a list of {env, volume, file, name, key}, sorted by
variable. Arguments (a dict): root; kafka and clickhouse, true for a container that talks to it;
clickhouseRole and commandSigning as for wikipulse.connection.of.
*/}}
{{- define "wikipulse.connection.files" -}}
{{- $table := include "wikipulse.secretFiles" . | fromYaml }}
{{- $c := include "wikipulse.connection.of" . | fromYaml }}
{{- $out := list }}
{{- range $env, $ref := $c.files }}
{{- if or (and $.kafka (hasPrefix "KAFKA_" $env)) (and $.clickhouse (hasPrefix "CLICKHOUSE_" $env)) (eq $env "COMMAND_SIGNING_KEY_FILE") }}
{{- $out = append $out (merge (dict "env" $env "name" $ref.name "key" $ref.key) (get $table $env)) }}
{{- end }}
{{- end }}
{{- toYaml (dict "files" $out) }}
{{- end }}

{{/* An env entry from {value} or a Secret's {name, key}. Arguments: env, from. */}}
{{- define "wikipulse.envFrom" -}}
- name: {{ .env }}
{{- if hasKey .from "value" }}
  value: {{ .from.value | quote }}
{{- else }}
  valueFrom:
    secretKeyRef:
      name: {{ .from.name }}
      key: {{ .from.key }}
{{- end }}
{{- end }}

{{/* A container's connection variables beside KAFKA_BROKERS and CLICKHOUSE_URL. Arguments as for wikipulse.connection.files. */}}
{{- define "wikipulse.connection.env" -}}
{{- $c := include "wikipulse.connection.of" . | fromYaml }}
{{- if .kafka }}
{{- if $c.kafkaTls }}
- name: KAFKA_TLS
  value: "true"
{{- end }}
{{- with $c.kafkaMechanism }}
- name: KAFKA_SASL_MECHANISM
  value: {{ . | quote }}
{{- end }}
{{- with $c.kafkaUsername }}
{{ include "wikipulse.envFrom" (dict "env" "KAFKA_SASL_USERNAME" "from" .) }}
{{- end }}
{{- end }}
{{- if .clickhouse }}
{{- with $c.clickhouseUser }}
{{ include "wikipulse.envFrom" (dict "env" "CLICKHOUSE_USER" "from" .) }}
{{- end }}
{{- end }}
{{- range (include "wikipulse.connection.files" . | fromYaml).files }}
- name: {{ .env }}
  value: {{ printf "/var/run/secrets/wikipulse/%s/%s" .volume .file | quote }}
{{- end }}
{{- end }}

{{/* A container's read-only mounts of its Secret files. Arguments as for wikipulse.connection.files. */}}
{{- define "wikipulse.connection.volumeMounts" -}}
{{- range (include "wikipulse.connection.files" . | fromYaml).files }}
- name: {{ .volume }}
  mountPath: /var/run/secrets/wikipulse/{{ .volume }}
  readOnly: true
{{- end }}
{{- end }}

{{/*
The pod's Secret volumes, one key each. Group-readable only: the pod's fsGroup owns them. A
mounted directory (no subPath), so the kubelet brings a renewed Secret into the running pod.
*/}}
{{- define "wikipulse.connection.volumes" -}}
{{- range (include "wikipulse.connection.files" . | fromYaml).files }}
- name: {{ .volume }}
  secret:
    secretName: {{ .name }}
    items:
      - key: {{ .key }}
        path: {{ .file }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{/*
What the operator passes on to the ingestor and sink pods it creates: APP_<VARIABLE>_SECRET,
"name/key", for each Secret-filled variable (`*_FILE`, and the user names), the rest as plain
APP_<VARIABLE> values. Arguments: root, clickhouseRole (the sink's: `sink`).
*/}}
{{- define "wikipulse.connection.appEnv" -}}
{{- $c := include "wikipulse.connection.of" . | fromYaml }}
{{- if $c.kafkaTls }}
- name: APP_KAFKA_TLS
  value: "true"
{{- end }}
{{- with $c.kafkaMechanism }}
- name: APP_KAFKA_SASL_MECHANISM
  value: {{ . | quote }}
{{- end }}
{{- with $c.kafkaUsername }}
{{- if hasKey . "value" }}
- name: APP_KAFKA_SASL_USERNAME
  value: {{ .value | quote }}
{{- else }}
- name: APP_KAFKA_SASL_USERNAME_SECRET
  value: {{ printf "%s/%s" .name .key | quote }}
{{- end }}
{{- end }}
{{- with $c.clickhouseUser }}
{{- if hasKey . "value" }}
- name: APP_CLICKHOUSE_USER
  value: {{ .value | quote }}
{{- else }}
- name: APP_CLICKHOUSE_USER_SECRET
  value: {{ printf "%s/%s" .name .key | quote }}
{{- end }}
{{- end }}
{{- range $env, $ref := $c.files }}
- name: {{ printf "APP_%s_SECRET" (trimSuffix "_FILE" $env) }}
  value: {{ printf "%s/%s" $ref.name $ref.key | quote }}
{{- end }}
{{- end }}
