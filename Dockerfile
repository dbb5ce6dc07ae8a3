# One image for every process; docker-compose.yml picks the entry point.

# Generating the Prisma client needs the dev dependencies (the prisma CLI); running does not.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
# ffmpeg makes the thumbnails of stored results (variant=thumbnail); without it there are none.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY prisma ./prisma
COPY src ./src
COPY --from=build /app/src/generated ./src/generated
USER node
EXPOSE 3000
CMD ["node", "src/entrypoints/api.ts"]
