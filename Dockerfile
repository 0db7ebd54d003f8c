# syntax=docker/dockerfile:1
#
# One image for every nuanxin service. The target is chosen at run time:
#
#   docker build -t nuanxin .
#   docker run --rm nuanxin run --target routing     # one service
#   docker run --rm nuanxin run --target all         # everything in one process
#
# `nuanxin run` applies the target's database migrations before it starts
# serving; `nuanxin migrate --target <name>` does only that.
# See docker-compose.yml for the full local stack (Kafka, PostgreSQL, Jaeger).

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------
# builder: resolve the locked dependencies into /app/.venv with uv
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# uv comes from PyPI, like every other dependency.
RUN pip install --no-cache-dir uv

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# Dependencies first (this layer is reused until pyproject.toml/uv.lock change).
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the project itself.
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# ---------------------------------------------------------------------------
# runtime: same base (the venv's interpreter path must exist), no build tools
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NUANXIN_ENV=prod

RUN groupadd --system --gid 10001 nuanxin \
    && useradd --system --uid 10001 --gid nuanxin --home-dir /home/nuanxin \
       --create-home --shell /usr/sbin/nologin nuanxin

WORKDIR /app
# Code and venv stay root-owned (read-only for the service user).
COPY --from=builder /app /app

USER nuanxin:nuanxin

EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]

ENTRYPOINT ["nuanxin"]
CMD ["run", "--target", "all", "--host", "0.0.0.0"]
