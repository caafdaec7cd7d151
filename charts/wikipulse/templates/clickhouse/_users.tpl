{{/*
One ClickHouse user per role (clickhouse.users), each with only the grants it needs. The
grants are those of ROLES in packages/store/src/roles.ts, written out here because Helm cannot
read TypeScript; packages/store/src/roles-chart.k8s.test.ts renders the chart and keeps the two
equal.
*/}}

{{/* The roles, in a fixed order. */}}
{{- define "wikipulse.clickhouse.roles" -}}
sink bot grafana operator
{{- end }}

{{/* A role's GRANT statements for the chart's database, as a YAML list. Arguments: root, role. */}}
{{- define "wikipulse.clickhouse.roleGrants" -}}
{{- $db := .root.Values.clickhouse.database }}
{{- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_]{0,62}$" $db) }}
{{- fail "clickhouse.database must be a ClickHouse identifier" }}
{{- end }}
{{- if eq .role "sink" }}
- GRANT SELECT, INSERT ON {{ $db }}.changes
- GRANT SELECT ON {{ $db }}.schema_migrations
{{- else if eq .role "bot" }}
- GRANT SELECT ON {{ $db }}.changes
- GRANT SELECT ON {{ $db }}.daily_counts
- GRANT SELECT ON {{ $db }}.page_minutes
- GRANT SELECT ON {{ $db }}.page_minutes_by_page
- GRANT SELECT, INSERT ON {{ $db }}.language_preferences
- GRANT SELECT, INSERT ON {{ $db }}.watches
- GRANT SELECT, INSERT ON {{ $db }}.feeds
- GRANT SELECT, INSERT ON {{ $db }}.digests
- GRANT SELECT, INSERT ON {{ $db }}.digest_posts
- GRANT SELECT, INSERT ON {{ $db }}.paused_channels
- GRANT SELECT, INSERT ON {{ $db }}.spike_alerts
- GRANT SELECT ON {{ $db }}.schema_migrations
{{- else if eq .role "grafana" }}
- GRANT SELECT ON {{ $db }}.*
{{- else if eq .role "operator" }}
- GRANT CREATE DATABASE, CREATE TABLE, CREATE VIEW, ALTER TTL, ALTER ADD COLUMN, ALTER MATERIALIZE COLUMN, ALTER MODIFY DATABASE COMMENT, SELECT, INSERT, ALTER DELETE, DROP DATABASE, DROP TABLE, DROP VIEW ON *.*
{{- end }}
{{- end }}

{{/* The Secret the chart generates for a role's password (embedded mode). Arguments: root, role. */}}
{{- define "wikipulse.clickhouse.roleSecretName" -}}
{{- printf "%s-clickhouse-%s" (include "wikipulse.fullname" .root) .role | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The server's variable holding a role's password (embedded mode). Arguments: role. */}}
{{- define "wikipulse.clickhouse.rolePasswordEnv" -}}
{{- printf "WIKIPULSE_%s_PASSWORD" (upper .role) }}
{{- end }}

{{/*
How a role's app connects: {user: {value}, name, passwordKey} of the Secret with its password
(YAML); empty when the role has no user of its own here (another mode without existingSecret),
and the app connects with clickhouse.auth. Arguments: root, role.
*/}}
{{- define "wikipulse.clickhouse.roleCredentials" -}}
{{- $user := get .root.Values.clickhouse.users .role }}
{{- if $user.existingSecret }}
user: { value: {{ $user.name | quote }} }
name: {{ $user.existingSecret }}
passwordKey: {{ $user.passwordKey }}
{{- else if eq .root.Values.clickhouse.mode "embedded" }}
user: { value: {{ $user.name | quote }} }
name: {{ include "wikipulse.clickhouse.roleSecretName" . }}
passwordKey: password
{{- end }}
{{- end }}

{{/*
The connection of one container (wikipulse.connection) with its role's ClickHouse user in place
of the shared one, and the command signing key when it takes part in the bot's commands.
Arguments: root, clickhouseRole (optional), commandSigning (optional).
*/}}
{{- define "wikipulse.connection.of" -}}
{{- $c := include "wikipulse.connection" .root | fromYaml }}
{{- with .clickhouseRole }}
{{- with include "wikipulse.clickhouse.roleCredentials" (dict "root" $.root "role" .) | fromYaml }}
{{- $_ := set $c "clickhouseUser" .user }}
{{- $_ = set $c.files "CLICKHOUSE_PASSWORD_FILE" (dict "name" .name "key" .passwordKey) }}
{{- end }}
{{- end }}
{{- if .commandSigning }}
{{- $signing := .root.Values.bot.commandSigning }}
{{- $name := $signing.existingSecret | default (include "wikipulse.bot.commandSigningSecretName" .root) }}
{{- $_ := set $c.files "COMMAND_SIGNING_KEY_FILE" (dict "name" $name "key" (ternary $signing.keyKey "key" (not (empty $signing.existingSecret)))) }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/* The Secret holding the generated command signing key. */}}
{{- define "wikipulse.bot.commandSigningSecretName" -}}
{{- printf "%s-bot-command-signing" (include "wikipulse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
A password kept from the Secret of an earlier release, else a new one, the same for every
template of one render that asks (the Grafana datasource repeats the grafana user's).
Arguments: root, name, key.
*/}}
{{- define "wikipulse.keptSecretValue" -}}
{{- $made := .root.wikipulseSecretValues | default dict }}
{{- $_ := set .root "wikipulseSecretValues" $made }}
{{- $id := printf "%s/%s" .name .key }}
{{- if not (hasKey $made $id) }}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .name }}
{{- if and $existing $existing.data (hasKey $existing.data .key) }}
{{- $_ = set $made $id (index $existing.data .key | b64dec) }}
{{- else }}
{{- $_ = set $made $id (randAlphaNum 48) }}
{{- end }}
{{- end }}
{{- get $made $id }}
{{- end }}

{{/*
A role's password at render time, for a client configured by a file (Grafana's datasource): the
generated one, or read from existingSecret, which must exist. Arguments: root, role.
*/}}
{{- define "wikipulse.clickhouse.rolePassword" -}}
{{- $user := get .root.Values.clickhouse.users .role }}
{{- with include "wikipulse.clickhouse.roleCredentials" . | fromYaml }}
{{- if $user.existingSecret }}
{{- $secret := lookup "v1" "Secret" $.root.Release.Namespace .name }}
{{- if not (and $secret $secret.data (hasKey $secret.data .passwordKey)) }}
{{- fail (printf "grafana.datasource reads the %s user's password at install: create Secret %s with key %s first" $.role .name .passwordKey) }}
{{- end }}
{{- index $secret.data .passwordKey | b64dec }}
{{- else }}
{{- include "wikipulse.keptSecretValue" (dict "root" $.root "name" .name "key" .passwordKey) }}
{{- end }}
{{- else }}
{{- fail (printf "grafana.datasource needs a %s user: clickhouse.users.%s.existingSecret outside the embedded mode" .role .role) }}
{{- end }}
{{- end }}
