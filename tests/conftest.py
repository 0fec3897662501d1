"""Shared fixtures: a local feed server and a fake Bot API server (see ``support``)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer

os.environ.setdefault("PTB_TIMEDELTA", "true")  # as `newsbot` itself sets it


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api
