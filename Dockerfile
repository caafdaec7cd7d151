# syntax=docker/dockerfile:1
# One image for every Wikipulse app; the entrypoint picks the app:
#   node apps/ingestor/dist/main.js | apps/sink/dist/main.js | apps/bot/dist/main.js | apps/operator/dist/main.js
# The chart sets the command per Deployment. Nothing secret is baked in: configuration comes
# from the environment at run time. Without a Docker engine, `npm run check:image`
# (tools/image/check.sh) lints this file with BuildKit's own rules, replays the runtime target
# into a directory and starts every entrypoint from it: the replay follows these instructions
# as written, so a step it cannot model (RUN --mount, ADD, COPY --link...) fails the check.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM node:24-bookworm AS build
WORKDIR /src
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/config/package.json packages/config/
COPY packages/events/package.json packages/events/
COPY packages/kafka/package.json packages/kafka/
COPY packages/lifecycle/package.json packages/lifecycle/
COPY packages/logger/package.json packages/logger/
COPY packages/metrics/package.json packages/metrics/
COPY packages/store/package.json packages/store/
COPY packages/testing/package.json packages/testing/
COPY apps/bot/package.json apps/bot/
COPY apps/ingestor/package.json apps/ingestor/
COPY apps/local/package.json apps/local/
COPY apps/operator/package.json apps/operator/
COPY apps/sink/package.json apps/sink/
COPY grafana/package.json grafana/
RUN npm ci --no-audit --no-fund
COPY packages packages
COPY apps apps
# The dashboards' code too: the root tsconfig.json builds it, here and in Tilt's live update of
# the dev stage.
COPY grafana grafana
RUN npx tsc -b

# The built workspaces with production dependencies only. The local mode (apps/local) and the
# test kit (packages/testing) stay behind, and with them testcontainers and the embedded
# ClickHouse engine (chdb, about 540 MB; only an optional peer of @wikipulse/store, as a cluster
# always sets CLICKHOUSE_URL); so do sources, tests, benchmarks, source maps and declarations.
# npm ci installs the workspaces that are present and skips the lockfile's missing ones.
# tools/image/check.sh replays this stage and checks the result (npm run check:image).
FROM node:24-bookworm AS deps
WORKDIR /src
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/packages packages
COPY --from=build /src/apps apps
RUN rm -rf apps/local packages/testing \
  && find packages apps -mindepth 2 -maxdepth 2 ! -name package.json ! -name dist ! -name schema \
    -exec rm -rf {} + \
  && rm -rf apps/*/dist/bench apps/*/dist/bench.* apps/*/dist/test \
  && find packages apps -path '*/dist/*' \
    \( -name '*.test.*' -o -name '*.map' -o -name '*.d.ts' \) -delete \
  && npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# `tilt up` runs this stage (docker_build target 'dev'): sources, every dependency and the
# compiler, owned by the app user so Tilt's live update can sync files and rebuild in place. It
# comes before runtime, so a plain `docker build` still ends at the small image.
FROM build AS dev
RUN chown -R 10001:10001 /src
USER 10001:10001

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# A fixed numeric user, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --system --gid 10001 wikipulse \
  && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin wikipulse
# Owned by root and read-only to the app user.
COPY --from=deps --chown=root:root /src /app
USER 10001:10001
EXPOSE 9464
CMD ["node", "apps/operator/dist/main.js"]
