# syntax=docker/dockerfile:1.7
# Cofee: one image for every role (`cofee api`, `cofee worker`, `cofee migrate`, `cofee serve`).
# Multi-stage: dependencies are compiled in a layer of their own (cargo-chef; cached until the
# dependency graph changes), the web app is built with Node, and the runtime is Debian slim with FFmpeg, libass,
# PocketSphinx and fonts, running as an unprivileged user. No secret is baked into any layer:
# configuration comes from the environment at run time.

FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-fund --no-audit --loglevel=error
COPY web/ ./
RUN npm run build --silent

FROM rust:1.95-bookworm AS chef
RUN apt-get update && apt-get install -y --no-install-recommends \
      clang libclang-dev cmake pkg-config libavcodec-dev libavformat-dev libavutil-dev libass-dev \
    && rm -rf /var/lib/apt/lists/* \
    && cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

# The dependency graph alone (Cargo manifests and lock file), as a recipe.
FROM chef AS planner
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
# Dependencies in a layer of their own: rebuilt only when the recipe changes, and kept by any
# layer cache (a CI's registry or GitHub Actions cache too, unlike BuildKit cache mounts).
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --features whisper -p cofee --recipe-path recipe.json
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY assets ./assets
COPY --from=web /src/web/dist ./web/dist
RUN cargo build --release --locked --features whisper -p cofee \
    && install -Dm755 target/release/cofee /out/cofee

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends \
      ffmpeg libass9 libgomp1 pocketsphinx pocketsphinx-en-us fonts-noto-core fonts-noto-cjk ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 cofee \
    && useradd --system --uid 10001 --gid cofee --home-dir /var/lib/cofee --create-home cofee
COPY --from=build /out/cofee /usr/local/bin/cofee
USER 10001:10001
WORKDIR /var/lib/cofee
ENV COFEE_ENV=production \
    COFEE_LISTEN=0.0.0.0:8080 \
    COFEE_SCRATCH_DIR=/tmp/cofee \
    COFEE_DATA_DIR=/var/lib/cofee
EXPOSE 8080
# The API's liveness; worker containers override the port (their health server is on 9090).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${COFEE_HEALTH_PORT:-8080}/health/live" || exit 1
ENTRYPOINT ["/usr/local/bin/cofee"]
CMD ["api"]
