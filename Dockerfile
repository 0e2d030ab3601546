# undersign production image: multi-stage, runs as a non-root user.
# Build:  docker build -t undersign .
# Run:    see docker-compose.yml (api + PostgreSQL + an S3 store)

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/opt/undersign UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libffi-dev \
 && rm -rf /var/lib/apt/lists/*
# The same uv as the Makefile; it installs exactly what uv.lock pins, the versions the tests ran with.
RUN pip install uv==0.13.9
WORKDIR /src
# Dependencies first (a layer that changes only with the lock file), then the project itself as a wheel.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY api ./api
COPY storage ./storage
COPY domain ./domain
COPY services ./services
COPY adapters ./adapters
COPY cli ./cli
COPY undersign ./undersign
COPY templates ./templates
COPY policies ./policies
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim-bookworm AS runtime
# WeasyPrint's system libraries, the fonts the templates use, and the PDF checkers used by `undersign verify`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libjpeg62-turbo libffi8 fontconfig \
      fonts-dejavu-core fonts-liberation2 fonts-dancingscript poppler-utils qpdf tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/undersign --create-home undersign
COPY --from=build /opt/undersign /opt/undersign
COPY templates /app/templates
COPY policies /app/policies
ENV PATH=/opt/undersign/bin:$PATH \
    UNDERSIGN_MODE=production \
    UNDERSIGN_TEMPLATES_DIR=/app/templates \
    UNDERSIGN_DUNNING__POLICY_PATH=/app/policies/default-ladder.yaml \
    UNDERSIGN_DATA_DIR=/var/lib/undersign \
    UNDERSIGN_SERVER__HOST=0.0.0.0 \
    UNDERSIGN_SERVER__PORT=8000 \
    PYTHONUNBUFFERED=1
USER undersign
WORKDIR /var/lib/undersign
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
ENTRYPOINT ["/usr/bin/tini", "--"]
# Migrate, then serve; `undersign serve` refuses to start on a schema that is not current.
CMD ["sh", "-c", "undersign db upgrade && exec undersign serve"]
