# One image per service:
#   docker build --build-arg SERVICE=ai-service --build-arg PORT=3001 -t meeting/ai-service .
# (SERVICE: ai-service 3001, meeting-service 3002, media-service 3003, signaling-service 3004;
# docs/deploy.md)
#
# Stage "build": the whole workspace with dev dependencies runs the Nx build, which writes the
# self-contained dist/apps/<service> (compiled service and library, Lua scripts, config/, a pruned
# package.json and package-lock.json; docs/building.md).
# Final stage: that folder and its production dependencies only; no sources, no dev dependencies.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
WORKDIR /workspace
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN test -n "${SERVICE}" && npx nx build "${SERVICE}" --skip-nx-cache

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ARG PORT
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    PORT=${PORT}
WORKDIR /app
COPY --from=build /workspace/dist/apps/${SERVICE}/ ./
RUN test -n "${PORT}" && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Files stay owned by root (read-only to the process); it runs as the node user (uid 1000).
USER node
EXPOSE ${PORT}
# Liveness (GET /health) on the service's PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 (exec form, no shell): SIGTERM reaches the process, whose shutdown hooks
# (closeOnSignals in run-service.ts) drain the queue workers before it exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "main.js"]
