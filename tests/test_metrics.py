"""/metrics and /healthz of `newsbot run`: counters that move with polls and alerts, a
health check that fails when the database is gone or polling has stalled, and nothing
listening unless ``metrics.listen`` asks for it."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from support.configs import NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer
from support.processes import Service
from test_service import ALICE, subscribe

from bot.commands.run import monitoring
from bot.config import load_config
from bot.wiring import Mode, build

LISTEN = "metrics:\n  listen: 127.0.0.1:0\n"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def scrape(port: int) -> Samples:
    status, text = get(port, "/metrics")
    assert status == 200, text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def wait(condition: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def metrics_port(service: Service) -> int:
    service.wait_output("health at /healthz")
    found = re.search(r"metrics at http://127\.0\.0\.1:(\d+)/metrics", service.output)
    assert found, service.output
    return int(found[1])


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process ``pid`` listens on (Linux: its sockets in /proc)."""
    fds = Path(f"/proc/{pid}/fd")
    inodes = set()
    for fd in fds.iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_the_counters_move_with_a_poll_and_an_alert_and_health_follows_the_database(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI, services: list[Service]
) -> None:
    feed_server.publish("/kz.xml", "Old news: Rosatom annual report", "https://news.example/old")
    config = write_config(
        tmp_path,
        {"kz": feed_server.url("/kz.xml")},
        {"kz-nuclear": NUCLEAR},
        token=bot_api.token,
        api_url=bot_api.api_url,
        extra=LISTEN,
    )
    subscribe(config, ALICE)
    bot_api.add_user(ALICE, "Alice")
    bot_api.add_chat(ALICE)
    bot_api.flood(ALICE, retry_after=1)  # the first send is answered 429
    service = Service(config)
    services.append(service)
    port = metrics_port(service)
    assert listening_ports(service.process.pid) == {port}
    wait(lambda: value(scrape(port), "newsbot_polls_total", outcome="ok") >= 1, "a poll")
    feed_server.publish("/kz.xml", "Rosatom signs a deal in Astana", "https://news.example/1")
    [alert] = bot_api.wait_sent(ALICE, timeout=30)
    assert "Rosatom signs a deal in Astana" in alert["plain_text"]
    wait(lambda: value(scrape(port), "newsbot_sends_total") >= 1, "the send counted")

    samples = scrape(port)
    assert value(samples, "newsbot_polls_total", outcome="ok") >= 2
    assert value(samples, "newsbot_polls_total", outcome="error") == 0
    assert value(samples, "newsbot_new_entries_total") == 2  # the old entry, then the new
    assert value(samples, "newsbot_matches_total") == 1
    assert value(samples, "newsbot_sends_total") == 1
    assert value(samples, "newsbot_telegram_errors_total", kind="retry_after") == 1
    assert value(samples, "newsbot_telegram_errors_total", kind="chat_gone") == 0
    assert value(samples, "newsbot_alert_delay_seconds_count") == 1
    assert value(samples, "newsbot_fetch_seconds_count") >= 2
    assert value(samples, "newsbot_parse_seconds_count") >= 2
    assert value(samples, "newsbot_fetched_bytes_total") > 0
    assert value(samples, "newsbot_outbox_backlog") == 0
    assert get(port, "/healthz") == (200, "ok\n")
    assert get(port, "/nothing")[0] == 404

    for file in tmp_path.glob("newsbot.db*"):
        file.unlink()  # the database is gone
    status, reason = get(port, "/healthz")
    assert status == 503
    assert "database" in reason and bot_api.token not in reason
    assert bot_api.token not in service.output


def test_nothing_listens_without_metrics_listen(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI, services: list[Service]
) -> None:
    feed_server.publish("/kz.xml", "Old news: Rosatom annual report", "https://news.example/old")
    config = write_config(
        tmp_path,
        {"kz": feed_server.url("/kz.xml")},
        {"kz-nuclear": NUCLEAR},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    service = Service(config)
    services.append(service)
    service.wait_output("newsbot running")
    wait(lambda: feed_server.hits("/kz.xml"), "the first poll")
    assert listening_ports(service.process.pid) == set()
    assert "metrics at" not in service.output
    assert service.stop() == 0, service.output


async def test_health_fails_when_polling_has_stalled(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    release = threading.Event()

    def stall(request: BaseHTTPRequestHandler) -> None:
        release.wait(30)

    feed_server.reply("/stall.xml", stall)
    config = write_config(
        tmp_path, {"stall": feed_server.url("/stall.xml")}, {"n": NUCLEAR}, extra=LISTEN
    )
    config.write_text(config.read_text().replace("timeout: 3s", "timeout: 60s"))
    try:
        async with build(load_config(config, env={}), Mode.CONSOLE) as parts:
            await parts.scheduler.start()
            try:
                with monitoring(parts, stalled_after=0.5) as port:
                    assert port is not None
                    while not feed_server.hits("/stall.xml"):
                        await asyncio.sleep(0.05)
                    status, reason = 200, ""
                    for _ in range(200):
                        status, reason = await asyncio.to_thread(get, port, "/healthz")
                        if status == 503:
                            break
                        await asyncio.sleep(0.05)
                    assert status == 503
                    assert "stalled" in reason
            finally:
                await parts.scheduler.stop(0.1)
    finally:
        release.set()


async def test_a_silent_client_holds_up_neither_the_service_nor_the_next_scrape(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, {}, {"n": NUCLEAR}, extra=LISTEN)
    async with build(load_config(config, env={}), Mode.CONSOLE) as parts:
        await parts.scheduler.start()
        try:
            with monitoring(parts) as port:
                assert port is not None
                with socket.create_connection(("127.0.0.1", port)) as silent:
                    silent.sendall(b"GET /metr")  # and nothing more
                    answer = await asyncio.to_thread(get, port, "/healthz")
                    assert answer == (200, "ok\n")
                    await parts.pipeline.poll_all()  # the loop is free
        finally:
            await parts.scheduler.stop(0.1)


async def test_monitoring_is_off_without_metrics_listen(tmp_path: Path) -> None:
    config = write_config(tmp_path, {}, {"n": NUCLEAR})
    async with build(load_config(config, env={}), Mode.CONSOLE) as parts:
        with monitoring(parts) as port:
            assert port is None
