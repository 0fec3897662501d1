# syntax=docker/dockerfile:1
# newsbot's image, built as uv's Docker guide shows
# (https://docs.astral.sh/uv/guides/integration/docker/): the locked dependencies in a
# layer of their own, then the project; no dev dependencies; no uv, no sources and no
# secrets in the final image. tests/test_deploy.py runs these `uv sync` commands in a
# clean copy of the project and starts the installed `newsbot`.
#
#   docker build -t newsbot .
#   docker run --rm -e TELEGRAM_BOT_TOKEN \
#     -v "$PWD/config.yaml:/etc/newsbot/config.yaml:ro" \
#     -v "$PWD/watchlists:/etc/newsbot/watchlists:ro" \
#     -v newsbot-data:/var/lib/newsbot newsbot
#
# The configuration is read from /etc/newsbot/config.yaml ($NEWSBOT_CONFIG); mount it
# and its watchlists folder read-only. With SQLite, point storage.url at the data volume:
# sqlite:////var/lib/newsbot/newsbot.db. The token comes from the environment.

# The Python the project is checked with (requires-python >= 3.11), the same in both
# stages: the virtual environment refers to the interpreter by its path.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
# Compile once at install; copy from the cache mount rather than link to it; use the
# image's Python, never a downloaded one.
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=0
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-dev --no-install-project
COPY . /app
# Not editable: the package goes into the environment, which is all the next stage takes.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN groupadd --system newsbot \
    && useradd --system --gid newsbot --home-dir /var/lib/newsbot --create-home newsbot
# Owned by root: the service cannot change its own code.
COPY --from=build /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:$PATH" \
    NEWSBOT_CONFIG=/etc/newsbot/config.yaml \
    PYTHONUNBUFFERED=1
WORKDIR /var/lib/newsbot
USER newsbot
# SIGTERM (docker stop) is a graceful stop: newsbot finishes what it is sending, exits 0.
CMD ["newsbot", "run"]
