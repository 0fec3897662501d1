"""`newsbot run` taking updates by webhook, as a real process against the fake Bot API.

With ``telegram.webhook_url`` set the bot registers that URL and a secret token with
Telegram and answers the updates POSTed to ``telegram.webhook_listen``; requests
without the secret are refused. A taken port, a URL Telegram refuses and settings
that are not a URL or an address are clear errors. On PostgreSQL every instance takes
updates so, and none long-polls ``getUpdates``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from support.configs import NUCLEAR, write_config
from support.databases import postgres_database
from support.fakebotapi import SECRET_HEADER, FakeBotAPI
from support.processes import Service, newsbot

from bot.config import TelegramConfig, load_config
from bot.errors import ConfigError

ALICE, BOB = 100, 200
HOOK = "https://bot.example/hook/abc"  # the public address Telegram would POST to


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_config(
    folder: Path,
    api: FakeBotAPI,
    port: int,
    *,
    storage_url: str = "sqlite:///newsbot.db",
    more: str = "",
    hook: str = HOOK,
) -> Path:
    folder.mkdir(exist_ok=True)
    return write_config(
        folder,
        {},
        {"kz-nuclear": NUCLEAR},
        token=api.token,
        api_url=api.api_url,
        telegram_extra=f"  webhook_url: {hook}\n  webhook_listen: 127.0.0.1:{port}\n{more}",
        storage_url=storage_url,
    )


def no_tracebacks(output: str) -> bool:
    return "Traceback" not in output and "CancelledError" not in output


@dataclass
class Running:
    service: Service
    config: Path
    local: str  # where the service takes webhook requests: what HOOK forwards to


@pytest.fixture
def running(tmp_path: Path, bot_api: FakeBotAPI, services: list[Service]) -> Running:
    port = free_port()
    config = webhook_config(tmp_path, bot_api, port)
    service = Service(config)
    services.append(service)
    service.wait_output("newsbot running")  # after the webhook server listens
    return Running(service, config, f"http://127.0.0.1:{port}/hook/abc")


# ----------------------------------------------------------- one instance


def test_the_bot_registers_its_webhook_and_answers_what_is_posted_to_it(
    running: Running, bot_api: FakeBotAPI
) -> None:
    secret = load_config(running.config, env={}).telegram.webhook_token
    assert bot_api.webhook == {
        "url": HOOK,
        "secret_token": secret,  # derived from the token: no webhook_secret configured
        "max_connections": 40,
        "ip_address": None,
        "has_custom_certificate": False,
    }
    assert bot_api.token not in secret

    bot_api.push_message(ALICE, ALICE, "/start")
    assert bot_api.deliver_webhook(running.local) == [200]
    [welcome] = bot_api.wait_sent(ALICE)
    assert "Kazakhstan nuclear power" in str(welcome["reply_markup"])
    bot_api.push_message(ALICE, ALICE, "/lists")
    bot_api.push_message(BOB, BOB, "/help")
    assert bot_api.deliver_webhook(running.local) == [200, 200]
    assert "kz-nuclear" in bot_api.wait_sent(ALICE, 2)[1]["plain_text"]
    assert "/lists" in bot_api.wait_sent(BOB)[0]["plain_text"]
    assert bot_api.calls("getUpdates") == []
    assert bot_api.calls("deleteWebhook") == []  # updates waiting at Telegram are kept

    assert running.service.stop() == 0, running.service.output
    assert no_tracebacks(running.service.output), running.service.output
    assert secret not in running.service.output


def test_a_post_without_the_right_secret_is_refused_and_not_handled(
    running: Running, bot_api: FakeBotAPI
) -> None:
    secret = load_config(running.config, env={}).telegram.webhook_token
    bot_api.push_message(ALICE, ALICE, "/start")
    [update] = bot_api.take_updates()
    with httpx.Client(timeout=10) as client:
        for headers in ({}, {SECRET_HEADER: "not-the-secret"}, {SECRET_HEADER: secret[:-1]}):
            answer = client.post(running.local, json=update, headers=headers)
            assert answer.status_code == 403, (headers, answer.text)
        assert client.post(running.local, json=update, headers={SECRET_HEADER: ""}).is_error

    # A later update of the same chat is answered; the refused /start, had it been
    # taken, would have been answered before it (one chat's updates run in order).
    bot_api.push_message(ALICE, ALICE, "/help")
    assert bot_api.deliver_webhook(running.local) == [200]
    [reply] = bot_api.wait_sent(ALICE)
    assert "/lists" in reply["plain_text"]
    assert "Kazakhstan nuclear power" not in str(reply["reply_markup"])
    assert running.service.stop() == 0, running.service.output
    assert len(bot_api.sent(ALICE)) == 1
    assert no_tracebacks(running.service.output), running.service.output


def test_a_webhook_path_is_taken_literally(
    tmp_path: Path, bot_api: FakeBotAPI, services: list[Service]
) -> None:
    port = free_port()
    hook = "https://bot.example/hook/a+b.c"
    service = Service(webhook_config(tmp_path, bot_api, port, hook=hook))
    services.append(service)
    service.wait_output("newsbot running")
    bot_api.push_message(ALICE, ALICE, "/start")
    assert bot_api.deliver_webhook(f"http://127.0.0.1:{port}/hook/aab-c") == [404]
    assert bot_api.deliver_webhook(f"http://127.0.0.1:{port}/hook/a+b.c") == [200]
    assert "Kazakhstan nuclear power" in str(bot_api.wait_sent(ALICE)[0]["reply_markup"])
    assert service.stop() == 0, service.output


def test_a_taken_webhook_port_is_a_clear_error(
    tmp_path: Path, bot_api: FakeBotAPI, services: list[Service]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        service = Service(webhook_config(tmp_path, bot_api, port))
        services.append(service)
        assert service.finish() == 1, service.output
    expected = f"newsbot: telegram.webhook_listen 127.0.0.1:{port}: Address already in use"
    assert expected in service.output
    assert no_tracebacks(service.output), service.output
    assert "newsbot running" not in service.output


def test_a_webhook_url_telegram_refuses_is_a_clear_error(
    tmp_path: Path, bot_api: FakeBotAPI, services: list[Service]
) -> None:
    hook = "https://bot.example:9000/hook/abc"  # Telegram posts to four ports only
    service = Service(webhook_config(tmp_path, bot_api, free_port(), hook=hook))
    services.append(service)
    assert service.finish() == 1, service.output
    expected = "newsbot: Telegram: Bad webhook: webhook can be set up only on ports 80, 88"
    assert expected in service.output
    assert no_tracebacks(service.output), service.output
    assert [call.status for call in bot_api.calls("setWebhook")] == [400]


# ----------------------------------------------------------- config


def test_check_refuses_a_plain_http_webhook_url_and_a_bad_listen_address(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    config = webhook_config(tmp_path, bot_api, 8443)
    text = config.read_text()
    text = text.replace(HOOK, "http://bot.example/hook/abc")
    config.write_text(text.replace("127.0.0.1:8443", "127.0.0.1:https"))
    checked = newsbot(config, "check")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "newsbot: 2 configuration problems:" in checked.stderr
    assert (
        "config.yaml: telegram.webhook_url: expected the public https:// address Telegram "
        "posts updates to, such as https://bot.example.org/hook"
    ) in checked.stderr
    assert (
        "config.yaml: telegram.webhook_listen: expected HOST:PORT, such as 127.0.0.1:9108 "
        "or [::1]:9108 (got '127.0.0.1:https')"
    ) in checked.stderr
    assert "Traceback" not in checked.stderr


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("webhook_url", "http://bot.example/hook/abc"),
        ("webhook_url", "bot.example/hook/abc"),
        ("webhook_url", "https://"),
        ("webhook_url", "'https://bot.example/a b'"),
        ("webhook_listen", "127.0.0.1"),
        ("webhook_listen", "127.0.0.1:65536"),
        ("webhook_listen", "'127.0.0.1:8443 and more'"),
    ],
)
def test_config_refuses_bad_webhook_settings(
    tmp_path: Path, bot_api: FakeBotAPI, field: str, value: str
) -> None:
    config = webhook_config(tmp_path, bot_api, 8443)
    good = load_config(config, env={}).telegram
    assert (good.webhook_url, good.webhook_address) == (HOOK, ("127.0.0.1", 8443))
    lines = [line for line in config.read_text().splitlines() if f"  {field}:" not in line]
    lines.insert(1, f"  {field}: {value}")
    config.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as refused:
        load_config(config, env={})
    [problem] = refused.value.problems
    assert problem.startswith(f"config.yaml: telegram.{field}: "), problem


# ----------------------------------------------------------- several instances


def test_every_instance_on_postgresql_takes_updates_by_webhook(
    tmp_path: Path, bot_api: FakeBotAPI, services: list[Service]
) -> None:
    secret = "shared-webhook-secret_1"
    with postgres_database() as url:
        ports = free_port(), free_port()
        more = f"  webhook_secret: {secret}\n"

        def start(name: str, port: int) -> Service:
            config = webhook_config(tmp_path / name, bot_api, port, storage_url=url, more=more)
            service = Service(config)
            services.append(service)
            service.wait_output("newsbot running")
            return service

        first, second = start("a", ports[0]), start("b", ports[1])  # the first leads
        first.wait_output("holds the Telegram lock: it now sends the alerts")  # both take updates
        registered = bot_api.wait_calls("setWebhook", 2)
        assert [(c.params["url"], c.params["secret_token"]) for c in registered] == [
            (HOOK, secret),
            (HOOK, secret),
        ]

        to_first, to_second = (f"http://127.0.0.1:{port}/hook/abc" for port in ports)
        bot_api.push_message(ALICE, ALICE, "/start")
        assert bot_api.deliver_webhook(to_first) == [200]
        assert "Kazakhstan nuclear power" in str(bot_api.wait_sent(ALICE)[0]["reply_markup"])
        bot_api.push_message(BOB, BOB, "/start")
        assert bot_api.deliver_webhook(to_second) == [200]
        assert "Kazakhstan nuclear power" in str(bot_api.wait_sent(BOB)[0]["reply_markup"])
        bot_api.push_message(ALICE, ALICE, "/help")
        assert bot_api.deliver_webhook(to_second) == [200]
        assert "/lists" in bot_api.wait_sent(ALICE, 2)[1]["plain_text"]

        assert bot_api.calls("getUpdates") == []  # neither long-polls
        assert "holds the Telegram lock" not in second.output
        for service in (first, second):
            assert service.stop() == 0, service.output
            assert no_tracebacks(service.output), service.output
    assert bot_api.calls("getUpdates") == []


def test_a_webhook_secret_is_never_shown_even_when_refused_and_empty_means_derived(
    tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    secret = "c2VjcmV0LXZhbHVlLW9mLXRoZS1ob29r+/="  # base64: characters Telegram refuses
    config = webhook_config(tmp_path, bot_api, 8443, more=f"  webhook_secret: '{secret}'\n")
    checked = newsbot(config, "check")
    assert checked.returncode == 1
    assert "telegram.webhook_secret" in checked.stderr
    assert secret not in checked.stdout + checked.stderr
    assert "c2VjcmV0" not in checked.stdout + checked.stderr
    empty = webhook_config(tmp_path / "empty", bot_api, 8443, more="  webhook_secret: ''\n")
    assert (
        load_config(empty, env={}).telegram.webhook_token
        == TelegramConfig(token=bot_api.token).webhook_token
    )
