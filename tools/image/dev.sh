# The dev target as `tilt up` runs it, for npm run check:image. Sourced by tools/image/check.sh
# after apps.sh's services are up:
#
#   dev_check   runs the ingestor's pod from the dev image the way the Tiltfile changes it
#               (root filesystem writable, `node --watch`, npm's cache beside the sources) with
#               OUTPUT=stdout: it must print every event the local EventStreams server plays and
#               keep answering /healthz. Then what Tilt's live update does on a source change:
#               the changed file extracted into the running container as its user (who must
#               be able to write /src), `npx tsc -b` run there; `node --watch` must restart
#               the app with the change.
# shellcheck shell=bash

dev_check() {
  local port container="wikipulse-check-dev-$run_id" events _
  port="$(free_port)"
  events="$(fixture_field events)"
  FOR_DEVELOPMENT=1 app_start dev ingestor "$dev_image" OUTPUT=stdout \
    STREAM_URL="$(fixture_field streamUrl)" METRICS_PORT="$port" NPM_CONFIG_CACHE=/src/.npm-cache
  # Until every event is out, or `node --watch` reports that the app failed.
  local printed=0
  for _ in $(seq 1 240); do
    "$docker_cli" logs "$container" >"$cache/logs/dev.log" 2>&1
    # shellcheck disable=SC2016 # the events' first key
    printed="$(grep -c '^{"$schema"' "$cache/logs/dev.log" || true)"
    ((printed < events)) || break
    ! grep -q '^Failed running' "$cache/logs/dev.log" || break
    sleep 0.25
  done
  http_status="$(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" 2>/dev/null || true)"
  if [[ "$http_status" == 200 && "$printed" -ge "$events" ]]; then
    passed "dev: the ingestor under node --watch printed the $events events and answers /healthz"
  else
    problem "dev: the ingestor under node --watch printed $printed of $events events, /healthz $http_status; crashes: $(container_crashes dev) (log: .cache/image/logs/dev.log)"
  fi

  # The change: a line that says it ran, right after main.ts's shebang.
  local marker="live update $run_id"
  mkdir -p "$work/sync/apps/ingestor/src"
  LINE="process.stderr.write('$marker\\n');" awk \
    'NR == 1 && /^#!/ { print; print ENVIRON["LINE"]; next } NR == 1 { print ENVIRON["LINE"] } { print }' \
    apps/ingestor/src/main.ts >"$work/sync/apps/ingestor/src/main.ts"
  local before synced compiled
  before=$EPOCHREALTIME
  # As Tilt syncs into a pod: tar extracting as the container's user, who must own /src.
  if ! tar -C "$work/sync" -cf - apps | "$docker_cli" exec -i "$container" tar -xf - -C /src 2>"$cache/logs/dev-sync.log" ||
    ! "$docker_cli" exec "$container" test -w /src; then
    problem "dev: the app user cannot write into /src (log: .cache/image/logs/dev-sync.log)"
    return
  fi
  synced=$EPOCHREALTIME
  if ! "$docker_cli" exec "$container" npx tsc -b >"$cache/logs/dev-tsc.log" 2>&1; then
    problem "dev: npx tsc -b failed in the container (log: .cache/image/logs/dev-tsc.log)"
    return
  fi
  compiled=$EPOCHREALTIME
  for _ in $(seq 1 240); do
    "$docker_cli" logs "$container" 2>&1 | grep -qF "$marker" && break
    sleep 0.25
  done
  "$docker_cli" logs "$container" >"$cache/logs/dev.log" 2>&1
  if grep -qF "$marker" "$cache/logs/dev.log"; then
    passed "dev: a changed source synced in ($(seconds_between "$before" "$synced")s) and compiled by npx tsc -b ($(seconds_between "$synced" "$compiled")s); node --watch ran it $(seconds_between "$compiled" "$EPOCHREALTIME")s later"
  else
    problem "dev: node --watch did not run the changed source within 60 s (log: .cache/image/logs/dev.log)"
  fi
  "$docker_cli" rm --force "$container" >/dev/null
}
