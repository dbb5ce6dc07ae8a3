# One image for every process: docker-compose.yml builds it once and gives each service its entry
# point as `command`. Base images are pinned by version; Renovate proposes the updates.

# Generating the Prisma client needs the dev dependencies (the prisma CLI); running does not.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
# The web console, built with Vite (a dev dependency) into console/dist, which the API serves.
COPY console ./console
RUN npx vite build --config console/vite.config.ts

FROM node:24.21.0-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# ffmpeg makes the thumbnails of stored results (variant=thumbnail); without it there are none.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY prisma ./prisma
COPY src ./src
COPY --from=build /app/src/generated ./src/generated
COPY --from=build /app/console/dist ./console/dist
USER node
# The API's PORT, and a worker's METRICS_PORT (/healthz, /readyz).
EXPOSE 3000 9464
CMD ["node", "src/entrypoints/api.ts"]
