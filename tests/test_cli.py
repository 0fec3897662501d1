"""The command line: poll --json, match, feeds and demo, called as users call them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CSTO, NUCLEAR, ROOT, write_config
from feedserver import FeedServer, Reply

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
    assert summary.startswith("6 feeds,") and "alerts (one per story)" in summary


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
