# The daemon image. Build: docker build -t ibkr-exec .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY examples ./examples
COPY package.json ./
# the state volume (keys, anchors) must belong to the user the daemon runs as: a new named volume takes this
# directory's owner
RUN mkdir -p /state && chown node:node /state && chmod 700 /state
USER node
ENTRYPOINT ["node", "bin/ibkr-exec.js"]
CMD ["daemon"]
