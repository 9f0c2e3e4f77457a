# syntax=docker/dockerfile:1
# Production image: compiled JavaScript on Node 24, production dependencies only, no compiler and no
# tsx at run time, running as the unprivileged `node` user. Give it DATABASE_URL (the embedded
# PostgreSQL is for development), ITOPS_JWT_SECRET and ITOPS_MASTER_KEY.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY sdk/package.json sdk/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production ITOPS_PORT=3000 ITOPS_DATA_DIR=/var/lib/itops
WORKDIR /app
COPY package.json package-lock.json ./
COPY sdk/package.json sdk/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
  && mkdir -p /var/lib/itops && chown node:node /var/lib/itops
COPY --from=build /src/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/core/main.js"]
