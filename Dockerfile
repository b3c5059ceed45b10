# syntax=docker/dockerfile:1
# schedule-operator image: multi-stage, Node 24 LTS slim, production dependencies only, non-root.
# No Docker engine on the build machine? `make docker-build` runs these same steps without one
# (hack/dockerfile-steps.ts) and checks the result starts.

# 1. build: all dependencies, TypeScript compiled to dist/
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# 2. deps: production node_modules only, without what only compilers and debuggers read (type
#    declarations, source maps)
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# (no `npm cache clean`: the cache stays in this stage; only node_modules reaches the runtime image)
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && rm -rf node_modules/@types \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete

# 3. runtime
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY crds ./crds
# 65532: the conventional "nonroot" uid; the chart's securityContext sets the same.
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/schedule-operator"]
CMD ["controller"]
