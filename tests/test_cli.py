"""The command line: poll --json, match, feeds and demo, called as users call them."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support.configs import CSTO, NUCLEAR, ROOT, write_config
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer, Reply
from support.processes import Service

from bot.cli import main


def lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def config(tmp_path: Path, feed_server: FeedServer) -> Path:
    feed_server.publish("/a.xml", "Rosatom opens an office", "https://news.example/1")
    feed_server.publish("/a.xml", "CSTO exercise", "https://news.example/2")
    feed_server.reply("/broken.xml", Reply(500, b"oops"))
    return write_config(
        tmp_path,
        {"a": feed_server.url("/a.xml"), "broken": feed_server.url("/broken.xml")},
        {"kz-nuclear": NUCLEAR, "csto-cis": CSTO},
    )


def test_poll_json_reports_each_feed(
    config: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["poll", "--config", str(config), "--json"]) == 0
    assert lines(capsys.readouterr().out) == [
        {"feed": "a", "status": "ok", "new_entries": 2, "matches": 0},  # recorded, not alerted
        {
            "feed": "broken",
            "status": "error",
            "new_entries": 0,
            "matches": 0,
            "error": "HTTP 500 Internal Server Error",
        },
    ]
    feed_server.publish("/a.xml", "Weather", "https://news.example/3")
    feed_server.publish("/a.xml", "Росатом строит АЭС", "https://news.example/4")
    assert main(["poll", "--config", str(config), "--json"]) == 0
    first, _ = lines(capsys.readouterr().out)
    assert first == {"feed": "a", "status": "ok", "new_entries": 2, "matches": 1}
    assert main(["poll", "--config", str(config), "--json"]) == 0
    assert lines(capsys.readouterr().out)[0]["status"] == "not_modified"


def test_match_input_json_in_order(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = tmp_path / "in.jsonl"
    entries.write_text(
        "\n".join(
            [
                json.dumps({"id": "1", "title": "Rosatom and the CSTO"}),
                json.dumps({"id": 2, "title": "Precision farming", "summary": "cis-gender"}),
                "not json",
                json.dumps({"id": "4", "title": "x", "content": "<p>Ros<b>atom</b> builds</p>"}),
                json.dumps({"id": "5", "title": "Rosatom football club"}),
            ]
        ),
        encoding="utf-8",
    )
    code = main(["match", "--config", str(config), "--input", str(entries), "--json"])
    out = lines(capsys.readouterr().out)
    assert code == 1  # one line was bad, and was reported in its place
    assert [(o["id"], o["watchlists"]) for o in out] == [
        ("1", ["csto-cis", "kz-nuclear"]),
        (2, []),
        (None, []),
        ("4", ["kz-nuclear"]),
        ("5", []),
    ]
    assert "line 3" in str(out[2]["error"])


def test_match_text_report_highlights(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "--config", str(config), "Rosatom", "signs", "a", "deal"]) == 0
    out = capsys.readouterr().out
    assert "Kazakhstan nuclear power (kz-nuclear)" in out
    assert "[Rosatom] signs a deal" in out


def test_feeds_shows_health(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feeds", "--config", str(config)]) == 0
    assert "never polled" in capsys.readouterr().out
    main(["poll", "--config", str(config)])
    capsys.readouterr()
    assert main(["feeds", "--config", str(config)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:2] == ["feed", "status"]
    row = {line.split()[0]: line for line in table[2:]}
    assert " ok " in row["a"]
    assert "failing" in row["broken"] and "HTTP 500" in row["broken"]


def test_demo_prints_alerts_from_bundled_feeds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.count("🔔") >= 20
    assert "Kazakhstan nuclear power" in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("6 feeds,") and "alerts (one per story; " in summary
    # the bundled feeds carry republished copy: one alert each, naming the other outlets
    assert "4 stories told by several outlets" in summary
    assert out.count("➕ Also: ") == 4
    assert "➕ Also: Tashkent Review (sample)" in out


def test_demo_stays_offline_behind_a_proxy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert main(["demo"]) == 0
    assert "error:" not in capsys.readouterr().out


def test_match_respects_feed_limits_only_for_inputs_from_a_feed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    only_a = "name: only-a\nmatch: [Rosatom]\nfeeds: [a]\n"
    path = write_config(
        tmp_path, {"a": "https://a.example/rss", "b": "https://b.example/rss"}, {"only-a": only_a}
    )
    entries = tmp_path / "in.jsonl"
    entries.write_text(
        "\n".join(
            json.dumps(e)
            for e in [
                {"id": "a", "title": "Rosatom", "feed": "a"},
                {"id": "b", "title": "Rosatom", "feed": "b"},
                {"id": "none", "title": "Rosatom"},
            ]
        ),
        encoding="utf-8",
    )
    assert main(["match", "--config", str(path), "--input", str(entries), "--json"]) == 0
    found = {o["id"]: o["watchlists"] for o in lines(capsys.readouterr().out)}
    assert found == {"a": ["only-a"], "b": [], "none": ["only-a"]}


def test_check_and_feeds_name_the_feed_an_html_page_advertises(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (
        b"<!doctype html><html><head><title>Astana News</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/feed/"></head>'
        b"<body>news</body></html>"
    )
    feed_server.reply("/news", Reply(200, page, {"Content-Type": "text/html"}))
    path = write_config(tmp_path, {"astana": feed_server.url("/news")}, {"kz-nuclear": NUCLEAR})
    assert main(["check", "--config", str(path)]) == 0
    assert "warning" not in capsys.readouterr().out  # nothing polled yet, nothing to say
    assert not (tmp_path / "newsbot.db").exists()  # and check created no database
    main(["poll", "--config", str(path)])
    capsys.readouterr()
    advice = (
        f"config.yaml: feeds[0].url: {feed_server.url('/news')} is an HTML page, not a feed; "
        f"it advertises {feed_server.url('/feed/')}: use that address"
    )
    assert main(["check", "--config", str(path)]) == 0
    assert f"warning: {advice}" in capsys.readouterr().out
    assert main(["feeds", "--config", str(path)]) == 0
    assert advice in capsys.readouterr().out


# --- poll -------------------------------------------------------------------------


def newsbot(
    *args: str, cwd: Path, stdin: str | bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``newsbot ARGS`` as a process, as users call it; stdin is not a terminal."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        input=data if data is not None else b"",
        capture_output=True,
        timeout=120,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_poll_exits_1_when_no_feed_could_be_polled_and_says_each_failure_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.reply("/broken.xml", Reply(500, b"oops"))
    feed_server.reply("/gone.xml", Reply(404, b"no"))
    path = write_config(
        tmp_path,
        {"broken": feed_server.url("/broken.xml"), "gone": feed_server.url("/gone.xml")},
        {"kz-nuclear": NUCLEAR},
    )
    done = newsbot("poll", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.count("HTTP 500") == 1 and done.stdout.count("HTTP 404") == 1
    assert "HTTP 500" not in done.stderr and "HTTP 404" not in done.stderr
    assert "no feed could be polled" in done.stderr


def test_poll_with_no_feeds_exits_1(tmp_path: Path) -> None:
    path = write_config(tmp_path, {}, {"kz-nuclear": NUCLEAR})
    done = newsbot("poll", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no feeds configured" in done.stderr


def test_poll_counts_agree_with_their_nouns(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.publish("/a.xml", "Weather", "https://news.example/0")
    path = write_config(tmp_path, {"a": feed_server.url("/a.xml")}, {"kz-nuclear": NUCLEAR})
    assert main(["poll", "--config", str(path)]) == 0
    assert capsys.readouterr().out == "a: ok, 1 new, 0 matched, 0 alerts queued\n"
    feed_server.publish("/a.xml", "Rosatom builds", "https://news.example/1")
    assert main(["poll", "--config", str(path)]) == 0
    assert capsys.readouterr().out == "a: ok, 1 new, 1 matched, 1 alert queued\n"


# --- demo -------------------------------------------------------------------------


def test_the_demo_gives_the_same_output_every_run() -> None:
    """Run as a user runs it, a process each time: inside the test process, a garbage
    collection of its large heap can push one rule set over its matching budget."""
    env = {k: v for k, v in os.environ.items() if k != "NEWSBOT_CONFIG"}
    outputs = []
    for _ in range(4):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "demo"],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert all(out == outputs[0] for out in outputs)


def test_the_demo_needs_no_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "NEWSBOT_CONFIG")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "6 watchlists" in done.stdout.splitlines()[-1]


# --- feeds ------------------------------------------------------------------------


def test_feeds_cuts_long_errors_at_a_word_boundary(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = "Bad Gateway because the upstream newsroom is rebuilding its archive of old feeds"

    def down(request: BaseHTTPRequestHandler) -> None:
        request.send_response(502, reason)
        request.send_header("Content-Length", "0")
        request.end_headers()

    feed_server.reply("/down.xml", down)
    path = write_config(tmp_path, {"down": feed_server.url("/down.xml")}, {"kz-nuclear": NUCLEAR})
    main(["poll", "--config", str(path)])
    capsys.readouterr()
    assert main(["feeds", "--config", str(path)]) == 0
    row = capsys.readouterr().out.splitlines()[2]
    error = row[row.index("HTTP 502") :]
    assert error.endswith("…")
    words = error.removesuffix("…").split()
    assert words == f"HTTP 502 {reason}".split()[: len(words)]  # whole words only


def test_feeds_json_one_object_per_feed(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feeds", "--config", str(config), "--json"]) == 0
    before = lines(capsys.readouterr().out)
    assert [(f["id"], f["status"], f["last_poll"]) for f in before] == [
        ("a", "never polled", None),
        ("broken", "never polled", None),
    ]
    main(["poll", "--config", str(config)])
    capsys.readouterr()
    assert main(["feeds", "--config", str(config), "--json"]) == 0
    a, broken = lines(capsys.readouterr().out)
    assert set(a) == {
        "id", "url", "status", "last_poll", "last_success", "next_poll", "failures", "error",
        "moved_to",
    }  # fmt: skip
    assert a["status"] == "ok" and a["failures"] == 0 and a["error"] is None
    assert a["moved_to"] is None and str(a["url"]).endswith("/a.xml")
    assert datetime.fromisoformat(str(a["last_poll"])).tzinfo is not None
    assert datetime.fromisoformat(str(a["next_poll"])) > datetime.fromisoformat(str(a["last_poll"]))
    assert broken["status"] == "failing" and broken["failures"] == 1
    assert broken["error"] == "HTTP 500 Internal Server Error" and broken["last_success"] is None


# --- match ------------------------------------------------------------------------


def test_match_reads_jsonl_from_standard_input(config: Path, tmp_path: Path) -> None:
    jsonl = json.dumps({"id": "1", "title": "Rosatom and the CSTO"}) + "\n"
    for args in (["--json"], ["--json", "--input", "-"]):
        done = newsbot("match", "--config", str(config), *args, cwd=tmp_path, stdin=jsonl)
        assert done.returncode == 0, done.stderr
        assert lines(done.stdout) == [{"id": "1", "watchlists": ["csto-cis", "kz-nuclear"]}]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: folder / "absent.jsonl", "absent.jsonl: cannot read: No such file"),
        (lambda folder: folder, "cannot read: Is a directory"),
    ],
)
def test_match_input_that_cannot_be_read_is_an_error(
    config: Path,
    tmp_path: Path,
    make: Callable[[Path], Path],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["match", "--config", str(config), "--input", str(make(tmp_path))]) == 1
    err = capsys.readouterr().err
    assert message in err and err.startswith("newsbot: ")


def test_match_reports_bad_bytes_deep_nesting_and_long_lines_per_line(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = tmp_path / "in.jsonl"
    entries.write_bytes(
        b'{"id": "1", "title": "Rosatom"}\n'
        b'{"id": "2", "title": "\xff\xfe"}\n'
        + b"[" * 100_000
        + b"\n"
        + b'{"id": "4", "title": "Rosatom '
        + b"x" * 3_000_000
        + b'"}\n'
        + b'{"id": "5", "title": "Rosatom"}\n'
    )
    code = main(["match", "--config", str(config), "--input", str(entries), "--json"])
    out = lines(capsys.readouterr().out)
    assert code == 1
    assert [o["watchlists"] for o in out] == [["kz-nuclear"], [], [], [], ["kz-nuclear"]]
    assert "line 2: not UTF-8" in str(out[1]["error"])
    assert "line 3: nested too deeply" in str(out[2]["error"])
    assert "line 4: longer than 1 MB" in str(out[3]["error"])


# --- the token --------------------------------------------------------------------


def test_run_with_an_unset_token_variable_exits_1_naming_it(tmp_path: Path) -> None:
    path = write_config(tmp_path, {}, {"kz-nuclear": NUCLEAR})
    path.write_text(path.read_text().replace("token: ''", "token: ${NEWSBOT_TEST_TOKEN}"))
    done = newsbot("run", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 1
    assert "telegram.token: environment variable NEWSBOT_TEST_TOKEN is not set" in done.stderr
    assert not (tmp_path / "newsbot.db").exists()


def test_run_console_ignores_the_token(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    feed_server.publish("/a.xml", "Old news", "https://news.example/0")
    path = write_config(
        tmp_path,
        {"a": feed_server.url("/a.xml")},
        {"kz-nuclear": NUCLEAR},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    service = Service(path, "--console")
    try:
        deadline = time.monotonic() + 30
        while not feed_server.hits("/a.xml") and time.monotonic() < deadline:
            time.sleep(0.1)
        feed_server.publish("/a.xml", "Rosatom builds", "https://news.example/1")
        hits = len(feed_server.hits("/a.xml"))
        while len(feed_server.hits("/a.xml")) < hits + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        code = service.stop()
    finally:
        service.kill()
    output = service.output
    assert code == 0, output
    assert "console mode" in output
    assert "Rosatom builds" in output
    assert bot_api.calls() == []


def test_match_without_text_on_a_terminal_says_what_it_needs(config: Path, tmp_path: Path) -> None:
    main_end, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "match", "--config", str(config)],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(main_end)
    assert done.returncode == 1
    assert "nothing to match: give TEXT, --input FILE.jsonl, or JSONL on stdin" in done.stderr


def test_match_replaces_a_lone_surrogate_in_its_input(config: Path, tmp_path: Path) -> None:
    line = '{"id":"1","title":"Rosatom \\ud800 x"}\n'
    outputs = []
    for args in ([], ["--json"]):
        done = newsbot("match", "--config", str(config), *args, cwd=tmp_path, stdin=line)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "kz-nuclear" in done.stdout
        outputs.append(done.stdout)
    assert "[Rosatom] \ufffd x" in outputs[0]


def test_match_says_a_number_is_too_long(config: Path, tmp_path: Path) -> None:
    line = '{"id":' + "9" * 100_000 + ',"title":"Rosatom"}\n'
    done = newsbot("match", "--config", str(config), "--json", cwd=tmp_path, stdin=line)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "line 1: a number too long to read" in done.stdout + done.stderr


def test_match_explain_shows_each_spelling_with_its_forms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["match", "--explain", "~Tokayev AND =Astana AND Kazakh*"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "~tokayev"
    assert out[1] == "  tokayev: tokayev, tokayevs"
    russian = next(line for line in out if line.startswith("  токаев: "))
    assert russian.startswith("  токаев: токаев, токаева, ")
    assert russian.count(",") == 8 and russian.endswith(" more")  # 8 forms, then a count
    assert "  тоқаев: тоқаев, " in "\n".join(out)
    assert "  toqaev: toqaev, toqaevs" in out
    assert out[-4:] == [
        "=astana",
        "  astana: astana",
        "kazakh*",
        "  kazakh*: any word starting with 'kazakh'",
    ]


def test_match_explain_shows_the_forms_of_a_name_that_match_only_capitalized(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["match", "--explain", "Лавров OR посол"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "лавров" and out[1].startswith("  лавров: лавров, лаврова, ")
    assert "лавровым" not in out[1]
    assert (
        out[2]
        == "    only capitalized (also another word): лавровой, лавровым, лавровых, лавровыми"
    )
    assert out[3] == "посол" and "после" not in out[4]  # a homograph is left out
    assert len(out) == 5


def test_match_explain_refuses_a_bad_rule_and_other_inputs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["match", "--explain", "Tokayev ~"]) == 1
    err = capsys.readouterr().err
    assert "'~' must touch a word or phrase, as in ~Tokayev at 8" in err
    assert err.endswith("  Tokayev ~\n          ^\n")
    assert main(["match", "--explain", "~Tokayev", "Tokaev", "said"]) == 1
    assert "--explain takes a RULE alone" in capsys.readouterr().err
