# One image for every Wikipulse app; the entrypoint picks the app:
#   node apps/ingestor/dist/main.js | apps/sink/dist/main.js | apps/bot/dist/main.js | apps/operator/dist/main.js
# The chart sets the command per Deployment. Nothing secret is baked in: configuration comes
# from the environment at run time. `npm run check:image` (tools/image/check.sh) builds every
# target with a Docker engine and runs each app from the runtime image the way the chart does.
#
# There is no `# syntax=` line: the engine's own Dockerfile frontend (BuildKit, Docker 20.10 and
# later) reads every instruction used here, and a frontend image would be one more pull.
#
# The bases are tags. To pin them, pass digests:
#   --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest>
#   --build-arg RUNTIME_IMAGE=debian:bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=debian:bookworm-slim

# The slim Node image builds too: no dependency needs a compiler (npm runs no install script
# package.json does not allow, and the optional native parts of testcontainers' ssh2 do without
# one where an npm runs them); the full image would add a toolchain and about 900 MB.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/bench/package.json packages/bench/
COPY packages/charts/package.json packages/charts/
COPY packages/config/package.json packages/config/
COPY packages/events/package.json packages/events/
COPY packages/kafka/package.json packages/kafka/
COPY packages/leader/package.json packages/leader/
COPY packages/lifecycle/package.json packages/lifecycle/
COPY packages/logger/package.json packages/logger/
COPY packages/metrics/package.json packages/metrics/
COPY packages/replay/package.json packages/replay/
COPY packages/store/package.json packages/store/
COPY packages/testing/package.json packages/testing/
COPY apps/bot/package.json apps/bot/
COPY apps/ingestor/package.json apps/ingestor/
COPY apps/local/package.json apps/local/
COPY apps/operator/package.json apps/operator/
COPY apps/sink/package.json apps/sink/
COPY grafana/package.json grafana/
# npm's downloads stay in BuildKit's cache, out of every layer, and serve the deps stage's
# install too. Where npm must be set up otherwise (another registry, a token, a private
# certificate authority), the optional build secrets `npmrc` (an .npmrc file) and `npm-ca` (a PEM
# file its `cafile` may name as /run/secrets/npm-ca) carry it, so nothing of it is left in a
# layer or in the image's history. Without them npm uses its defaults.
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npmrc,target=/root/.npmrc \
  --mount=type=secret,id=npm-ca \
  npm ci --no-audit --no-fund
COPY packages packages
COPY apps apps
# The dashboards' code too: the root tsconfig.json builds it, here and in Tilt's live update of
# the dev stage.
COPY grafana grafana
RUN npx tsc -b

# The runtime workspaces, copied by name, with production dependencies only. The local mode
# (apps/local), its replay server, the test kit, the benchmarks and the dashboards' code are
# never copied, and with them testcontainers and the embedded ClickHouse engine (chdb, about
# 540 MB; only an optional peer of @wikipulse/store, as a cluster always sets CLICKHOUSE_URL).
# Each workspace keeps its package.json, its build and its JSON schema: no sources, source maps
# or declarations. npm ci installs the workspaces that are present and skips the lockfile's
# missing ones. Then the dependencies lose what Node never loads from node_modules: TypeScript
# declarations and sources (Node refuses to strip types there), source maps (no
# --enable-source-maps), Markdown, native addons built for the Bare runtime (*.bare) and each
# package's own test folder; licences stay. Of the DejaVu fonts only the one the charts draw
# with (DejaVu Sans, packages/charts) stays: the others are 11 MB never read.
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/packages/charts packages/charts
COPY --from=build /src/packages/config packages/config
COPY --from=build /src/packages/events packages/events
COPY --from=build /src/packages/kafka packages/kafka
COPY --from=build /src/packages/leader packages/leader
COPY --from=build /src/packages/lifecycle packages/lifecycle
COPY --from=build /src/packages/logger packages/logger
COPY --from=build /src/packages/metrics packages/metrics
COPY --from=build /src/packages/store packages/store
COPY --from=build /src/apps/bot apps/bot
COPY --from=build /src/apps/ingestor apps/ingestor
COPY --from=build /src/apps/operator apps/operator
COPY --from=build /src/apps/sink apps/sink
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npmrc,target=/root/.npmrc \
  --mount=type=secret,id=npm-ca \
  find packages apps -mindepth 2 -maxdepth 2 ! -name package.json ! -name dist ! -name schema \
    -exec rm -rf {} + \
  && find packages apps -path '*/dist/*' \( -name '*.map' -o -name '*.d.ts' \) -delete \
  && npm ci --omit=dev --no-audit --no-fund \
  && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
    -o -name '*.md' -o -name '*.markdown' -o -name '*.bare' \) -delete \
  && find node_modules -regextype posix-extended -type d \
    -regex '(.*/)?node_modules/(@[^/]+/)?[^/]+/(test|tests|__tests__)' -prune -exec rm -rf {} + \
  && find node_modules/dejavu-fonts-ttf -mindepth 1 -maxdepth 1 \
    ! -name ttf ! -name LICENSE ! -name package.json -exec rm -rf {} + \
  && find node_modules/dejavu-fonts-ttf/ttf -type f ! -name DejaVuSans.ttf -delete

# `tilt up` runs this stage (docker_build target 'dev'): sources, every dependency and the
# compiler, owned by the app user so Tilt's live update can sync files and rebuild in place. A
# copy with that owner rather than `chown -R` over the build stage, which would keep every file
# twice (about 800 MB more to push to the cluster). It comes before runtime, so a plain
# `docker build` still ends at the small image.
FROM ${NODE_IMAGE} AS dev
# Copied before WORKDIR would create /src as root: the copy makes it with the app user's owner,
# so live update can write beside the sources too (npm's cache, new files).
COPY --from=build --chown=10001:10001 /src /src
WORKDIR /src
USER 10001:10001

# Debian's slim image with the Node binary alone, from the Node image where its official
# build keeps it: the apps need no npm, npx, yarn, corepack or C headers at run time, and
# without them the image stays within its 260 MB budget and carries none of their
# vulnerabilities.
FROM ${RUNTIME_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# A fixed numeric user, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --system --gid 10001 wikipulse \
  && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin wikipulse
COPY --from=deps /usr/local/bin/node /usr/local/bin/node
# Owned by root and read-only to the app user.
COPY --from=deps --chown=root:root /src /app
USER 10001:10001
EXPOSE 9464
CMD ["node", "apps/operator/dist/main.js"]
