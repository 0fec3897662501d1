"""No secret is ever printed: the bot token and the database password, whoever wrote
the text (python-telegram-bot, httpx, a database driver, a proxy echoing the request)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support.configs import NUCLEAR, ROOT, write_config
from support.fakebotapi import FakeBotAPI
from support.processes import newsbot

from bot.redact import MASK, RedactingFormatter, Redactor

SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TOKEN = f"987654321:{SECRET}"  # not the fake Bot API's token: it answers 401
PASSWORD = "s3cret/Pa:ss@word"  # needs URL-encoding, as real passwords often do
QUOTED = "s3cret%2FPa%3Ass%40word"


def failing(config: Path, *args: str) -> str:
    """Run ``newsbot ARGS``, which must fail; its stdout and stderr together."""
    done = newsbot(config, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout + done.stderr


def assert_no_token(output: str) -> None:
    assert output.strip(), "newsbot said nothing about the failure"
    assert SECRET.lower() not in output.lower(), output
    assert SECRET.replace("_", "%5F").lower() not in output.lower(), output


class _Echo(BaseHTTPRequestHandler):
    """A server where the Bot API is not: 404, with the request path in the body, as
    some proxies and web servers answer."""

    def do_POST(self) -> None:
        self._echo()

    def do_GET(self) -> None:
        self._echo()

    def _echo(self) -> None:
        if "/json/" in self.path:  # a JSON answer that names the path: the Bot API's shape
            status, kind = 400, "application/json"
            description = f"Bad Request: path {self.path.replace('/json', '')} unknown"
            data = json.dumps({"ok": False, "error_code": 400, "description": description})
        else:
            status, kind = 404, "text/plain"
            body = json.dumps({"ok": False, "error_code": 404, "description": f"{self.path}"})
            data = f"No route to {self.path}: {body}"
        self._answer(status, kind, data.encode())

    def _answer(self, status: int, kind: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_rejected_token_is_not_printed(tmp_path: Path, bot_api: FakeBotAPI) -> None:
    config = write_config(
        tmp_path, {}, {"kz-nuclear": NUCLEAR}, token=TOKEN, api_url=bot_api.api_url
    )
    output = failing(config, "run")
    assert "rejected" in output or "Unauthorized" in output, output
    assert_no_token(output)


@pytest.mark.parametrize("path", ["/wrong/path", "/json"], ids=["text", "json-lower-cased"])
def test_a_wrong_api_url_path_echoed_back_is_not_printed(
    tmp_path: Path, echo_server: str, path: str
) -> None:
    # python-telegram-bot lower-cases the JSON description it is given, token included
    api_url = f"{echo_server}{path}"
    config = write_config(tmp_path, {}, {"kz-nuclear": NUCLEAR}, token=TOKEN, api_url=api_url)
    output = failing(config, "run")
    assert_no_token(output)


@pytest.mark.parametrize("command", ["run", "poll", "feeds"])  # `check` opens no database
@pytest.mark.parametrize(
    "where",
    ["127.0.0.1:5432/newsbot_no_such_database", "127.0.0.1:9/newsbot"],
    ids=["wrong-database", "wrong-port"],
)
def test_the_database_password_is_not_printed(tmp_path: Path, command: str, where: str) -> None:
    # a feed, so that `poll` gets as far as the database; nothing listens on port 9
    config = write_config(tmp_path, {"kz": "http://127.0.0.1:9/kz.xml"}, {"kz-nuclear": NUCLEAR})
    url = f"postgresql://newsbot:{QUOTED}@{where}"
    config.write_text(config.read_text().replace("sqlite:///newsbot.db", url))
    output = failing(config, command)
    assert "database" in output, output
    for form in (PASSWORD, QUOTED, "s3cret"):
        assert form not in output, output


def test_log_records_and_tracebacks_are_redacted() -> None:
    redactor = Redactor()
    redactor.add_token(TOKEN)
    redactor.add_url(f"postgresql://u:{QUOTED}@db/newsbot")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(RedactingFormatter(logging.Formatter("%(message)s"), redactor))
    log = logging.getLogger("test_secrets")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
        except RuntimeError:
            log.exception("secret part %s, password %s", SECRET, PASSWORD)
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "Traceback" in text and "bot***/getMe" in text
    assert SECRET not in text and PASSWORD not in text and QUOTED not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://user:hunter2@db/x failed", f"postgresql://user:{MASK}@db/x failed"),
        (f"token {TOKEN.replace('987654321', '1234567')}!", f"token {MASK}!"),
        ("at 15:38:00, 12:30 and 100:200 things", "at 15:38:00, 12:30 and 100:200 things"),
        ("postgresql://u:p@ssW0rd@db:5432/x", f"postgresql://u:{MASK}@db:5432/x"),
        ("postgresql://u:s3cr/et@db/x failed", f"postgresql://u:{MASK}@db/x failed"),
        (f"POST https://api.example/bot{TOKEN}/getMe", f"POST https://api.example/bot{MASK}/getMe"),
        ("https://medium.com/@someone/feed", "https://medium.com/@someone/feed"),
        (
            "postgresql://u@db/x?sslmode=require&password=qwerty99",
            f"postgresql://u@db/x?sslmode=require&password={MASK}",
        ),
    ],
)
def test_what_looks_like_a_secret_is_masked_before_any_is_known(text: str, expected: str) -> None:
    assert Redactor()(text) == expected


def test_secrets_are_masked_in_any_case_and_from_the_query() -> None:
    redactor = Redactor()
    redactor.add_token(TOKEN)
    redactor.add_url("postgresql://u@db/x?password=qwerty99")
    text = redactor(f"path /bot{TOKEN.lower()}/getme unknown; password QWERTY99")
    assert SECRET.lower() not in text and "qwerty99" not in text.lower(), text


def test_a_password_with_a_slash_is_masked_wherever_it_stands() -> None:
    redactor = Redactor()
    redactor.add_url("postgresql://bot:s3cr/et@db.example/newsbot")
    assert redactor("auth failed for s3cr/et") == f"auth failed for {MASK}"


def test_check_never_quotes_a_token_it_refuses(tmp_path: Path) -> None:
    config = write_config(tmp_path, {}, {"kz-nuclear": NUCLEAR})
    config.write_text(config.read_text().replace("token: ''", "token: ['123:SECRETlist']"))
    output = failing(config, "check")
    assert "telegram.token" in output, output
    assert "SECRETlist" not in output, output


def test_uncaught_exceptions_are_redacted_in_any_thread() -> None:
    program = (
        "import threading\n"
        "from bot.redact import SECRETS, install_redaction\n"
        "install_redaction()\n"
        f"SECRETS.add_token({TOKEN!r})\n"
        "def fail(): raise RuntimeError('in a thread: ' + SECRETS_TEXT)\n"
        f"SECRETS_TEXT = 'secret {SECRET}'\n"
        "t = threading.Thread(target=fail); t.start(); t.join()\n"
        "raise RuntimeError('in main: ' + SECRETS_TEXT)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=30
    )
    assert "in a thread: secret ***" in done.stderr, done.stderr
    assert "in main: secret ***" in done.stderr, done.stderr
    assert SECRET not in done.stderr


def test_a_password_in_a_feed_address_is_not_printed(tmp_path: Path) -> None:
    feed = "http://reader:Feed-Pa55word@127.0.0.1:9/kz.xml"  # nothing listens on port 9
    config = write_config(tmp_path, {"kz": feed}, {"kz-nuclear": NUCLEAR})
    polled = failing(config, "poll")  # no feed could be polled: exit 1
    listed = newsbot(config, "feeds", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "reader:***@127.0.0.1:9/kz.xml" in listed.stdout, listed.stdout
    for output in (polled, listed.stdout + listed.stderr):
        assert "Pa55word" not in output, output
