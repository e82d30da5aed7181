# One image for web, worker and beat. Build: docker build -t quillcast .
# syntax=docker/dockerfile:1

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /venv
ENV PATH=/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY app ./app
COPY components ./components
COPY state ./state
COPY models ./models
COPY tasks ./tasks
RUN pip install .
COPY . .
# Compile the UI once at build time so containers start fast.
ENV REFLEX_TELEMETRY_ENABLED=false REFLEX_CHECK_LATEST_VERSION=false
# A throwaway key for the build only: unset, the settings would generate a key file into the image.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    reflex export --frontend-only --no-zip || true

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 quillcast
# DATA_DIR holds uploaded media (written by web, read by the worker when it publishes; unless
# MEDIA_STORAGE_URL puts it in a bucket), backups and beat's schedule: compose.yaml mounts one volume there
# for all three processes. WEB_HOST=0.0.0.0: a container
# is only reachable through its published port, which needs the server on every interface (the default
# outside a container is loopback).
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 ENVIRONMENT=production GRANIAN_WORKERS=2 WEB_PORT=3000 \
    WEB_HOST=0.0.0.0 DATA_DIR=/app/data
COPY --from=build /venv /venv
COPY --from=build --chown=quillcast:quillcast /app /app
RUN mkdir -p /app/data && chown quillcast:quillcast /app/data
WORKDIR /app
USER quillcast
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import httpx,sys; sys.exit(httpx.get('http://127.0.0.1:3000/api/health').status_code != 200)"
CMD ["quillcast", "web"]
