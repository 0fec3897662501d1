"""Shared fixtures: a local feed server, a fake Bot API server, a fresh database on
each backend and the services a test runs (see ``support``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.databases import BACKENDS, fresh_database
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer
from support.processes import Service

os.environ.setdefault("PTB_TIMEDELTA", "true")  # as `newsbot` itself sets it


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
def services() -> Iterator[list[Service]]:
    """The ``newsbot run`` processes a test starts: killed after it, if still running."""
    started: list[Service] = []
    yield started
    for service in started:
        service.kill()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database: an SQLite file, then a PostgreSQL database."""
    with fresh_database(request.param, tmp_path) as url:
        yield url
