# syntax=docker/dockerfile:1
# One image, two executables: sluice-operator (the control plane) and sluice-proxy (the
# waypoint proxy that the operator runs in every namespace with MeshRoutes, using this same
# image unless told otherwise). The Helm chart's default image is this one:
#
#   docker build -t ghcr.io/sluice-dev/sluice:0.1.0 .
#
# Build stage: full Node.js toolchain, dev dependencies for tsc; runtime stage: distroless
# Node.js, no shell, no package manager, user 65532.

ARG NODE_MAJOR=20

FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /src
# Dependencies first: this layer is reused until package.json or the lock file changes.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY crds/ crds/
COPY analysis/ analysis/
COPY operator/ operator/
COPY proxy/ proxy/
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund \
 && find dist -name '*.map' -delete
# The runtime tree under /out: the app in /app, the two commands in /usr/local/bin. The
# build writes "#!/usr/bin/env node", and distroless has no /usr/bin/env: point the two
# entry points at distroless' node instead. Node follows the symlink to /app, where
# package.json says the files are ES modules.
RUN mkdir -p /out/app /out/usr/local/bin \
 && cp -r package.json node_modules dist /out/app/ \
 && sed -i '1s|^#!/usr/bin/env node$|#!/nodejs/bin/node|' /out/app/dist/operator/main.js /out/app/dist/proxy/main.js \
 && chmod 0755 /out/app/dist/operator/main.js /out/app/dist/proxy/main.js \
 && ln -s /app/dist/operator/main.js /out/usr/local/bin/sluice-operator \
 && ln -s /app/dist/proxy/main.js /out/usr/local/bin/sluice-proxy

FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="Sluice progressive delivery: sluice-operator and sluice-proxy" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/ /
ENV NODE_ENV=production \
    PATH=/usr/local/bin:/nodejs/bin:/usr/bin:/bin
WORKDIR /app
# Numeric, so that Kubernetes can check runAsNonRoot without resolving a name.
USER 65532:65532
# The operator by default; waypoint pods run `sluice-proxy` (command in the pod spec).
ENTRYPOINT ["sluice-operator"]
