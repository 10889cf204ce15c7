# Production image, multi-stage (see docs/deploy.md and docker-compose.yml).
#   stage "build":    venv from requirements.txt + statically exported frontend
#   stage "frontend": Caddy serving the exported frontend, proxying backend routes to `app`
#   stage "backend":  Python only; `reflex run --env prod --backend-only`, migrations at start

FROM python:3.11-slim-bookworm AS build
ENV PYTHONUNBUFFERED=1 REFLEX_USE_NPM=1 VIRTUAL_ENV=/app/.venv PATH=/app/.venv/bin:$PATH
RUN apt-get update -y && apt-get install -y --no-install-recommends curl ca-certificates npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN python -m venv .venv && pip install --no-cache-dir -r requirements.txt
# Reflex needs Node >= 22; Debian's is older, so take it from the npm registry as `make` does.
RUN npm install --prefix /opt/tools --no-audit --no-fund node@22 leaflet@1.9.4
ENV PATH=/opt/tools/node_modules/.bin:$PATH
COPY . .
# The message catalogs' compiled form (docs/i18n.md); the .po files are in the repository.
RUN pybabel -q compile -d locales
RUN mkdir -p assets/leaflet \
    && cp -r /opt/tools/node_modules/leaflet/dist/leaflet.js /opt/tools/node_modules/leaflet/dist/leaflet.css \
       /opt/tools/node_modules/leaflet/dist/images assets/leaflet/
# API_URL is baked into the frontend: the public origin the browser talks to.
ARG PUBLIC_URL=http://localhost
ENV PUBLIC_URL=$PUBLIC_URL
RUN reflex export --frontend-only --no-zip \
    && mv .web/build/client /tmp/client && rm -rf .web && mkdir -p .web/build \
    && mv /tmp/client .web/build/client
# Caddy serves the pages: the same security headers as the app's own (the page CSP lists
# this export's inline scripts by hash, coworking_app/api/headers.py).
RUN python -c "from pathlib import Path; from coworking_app.api.headers import caddy_headers; \
    print(caddy_headers(Path('.web/build/client')), end='')" > docker/security-headers.caddy

FROM caddy:2 AS frontend
COPY --from=build /app/.web/build/client /srv
COPY docker/Caddyfile /etc/caddy/Caddyfile
COPY --from=build /app/docker/security-headers.caddy /etc/caddy/security-headers.caddy

FROM python:3.11-slim-bookworm AS backend
ENV PYTHONUNBUFFERED=1 PATH=/app/.venv/bin:$PATH APP_ENV=production PORT=8000
# postgresql-client-15: pg_dump / pg_restore for `cli backup` and `cli restore` (the server is 15; Debian 12 has it, hence -bookworm above).
RUN apt-get update -y && apt-get install -y --no-install-recommends libpq5 postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/* && adduser --disabled-password --home /app app
WORKDIR /app
COPY --from=build --chown=app /app /app
RUN rm -rf /app/.web/build/client && mkdir -p /app/var/media && chown -R app /app/var
USER app
EXPOSE 8000
STOPSIGNAL SIGKILL
# Migrations first, then the backend (websocket, /api/v1, /media) on port 8000, with one
# server process per core plus one (Reflex would start 2 x cores + 1: more CPU per request,
# measured in docs/booking.md).
# PROMETHEUS_MULTIPROC_DIR: the server processes' metrics in one emptied folder, so /metrics
# shows their totals (docs/operations.md).
CMD alembic upgrade head && export GRANIAN_WORKERS=${GRANIAN_WORKERS:-$(( $(nproc) + 1 ))} \
    && rm -rf /tmp/metrics && mkdir -p /tmp/metrics && export PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    && exec reflex run --env prod --backend-only --backend-port 8000
