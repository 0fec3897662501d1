"""config.yaml and watchlists -> Config, every problem reported at once; `newsbot check`."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config, load_watchlists, parse_duration, parse_size
from bot.errors import ConfigError

ROOT = Path(__file__).parent.parent

FEEDS = """\
feeds:
  - id: astana-times
    url: https://astanatimes.com/feed/
    title: The Astana Times
  - id: tengrinews
    url: https://tengrinews.kz/news.rss
"""

NUCLEAR = """\
name: kz-nuclear
title: Kazakhstan nuclear power
description: |
  Rosatom and the plant.
match:
  - Rosatom OR Росатом
  - '"nuclear power plant" AND Kazakhstan'
exclude:
  - football
feeds: [astana-times]
"""

ANY_FEED = "title: Anything\nmatch: [Rosatom]\n"


def write(folder: Path, config: str, watchlists: dict[str, str] | None = None) -> Path:
    """config.yaml (and watchlists/NAME.yaml files) in ``folder``; returns the config path."""
    lists = folder / "watchlists"
    lists.mkdir(exist_ok=True)
    for name, body in (watchlists if watchlists is not None else {"any.yaml": ANY_FEED}).items():
        (lists / name).write_text(body, encoding="utf-8")
    path = folder / "config.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def problems(folder: Path, config: str, watchlists: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(folder, config, watchlists), env={})
    assert caught.value.problems
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def one_problem(folder: Path, config: str, watchlists: dict[str, str] | None = None) -> str:
    (problem,) = problems(folder, config, watchlists)
    return problem


# --- a valid config -------------------------------------------------------------


def test_a_valid_config_loads(tmp_path: Path) -> None:
    path = write(tmp_path, FEEDS + "watchlists: watchlists\n", {"kz-nuclear.yaml": NUCLEAR})
    config = load_config(path, env={})
    assert config.path == tmp_path / "config.yaml"
    assert [f.id for f in config.feeds] == ["astana-times", "tengrinews"]
    assert config.feeds[0].title == "The Astana Times"
    assert config.feeds[1].title is None
    (watchlist,) = config.watchlists
    assert watchlist.name == "kz-nuclear"
    assert watchlist.title == "Kazakhstan nuclear power"
    assert watchlist.description == "Rosatom and the plant."
    assert watchlist.match == ("Rosatom OR Росатом", '"nuclear power plant" AND Kazakhstan')
    assert watchlist.exclude == ("football",)
    assert watchlist.feeds == frozenset({"astana-times"})
    assert watchlist.path == tmp_path / "watchlists" / "kz-nuclear.yaml"


def test_defaults_when_settings_are_left_out(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "feeds: []\n"), env={})
    assert config.console_mode
    assert config.telegram.api_url == "https://api.telegram.org"
    assert config.telegram.admins == frozenset()
    assert config.polling.interval is None
    assert (config.polling.min_interval, config.polling.max_interval) == (120, 6 * 3600)
    assert config.polling.timeout == 20
    assert config.polling.max_bytes == 10_000_000
    assert config.delivery.max_age == 24 * 3600
    assert (config.stories.enabled, config.stories.window) == (True, 48 * 3600)
    assert config.storage.url == f"sqlite:///{tmp_path.resolve() / 'newsbot.db'}"


def test_story_grouping_settings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "stories:\n  enabled: false\n  window: 6h\n"), env={})
    assert (config.stories.enabled, config.stories.window) == (False, 6 * 3600)
    for window, bound in (("10s", "greater than or equal to 60"), ("60d", "less than or equal")):
        problem = one_problem(tmp_path, f"stories:\n  window: {window}\n")
        assert problem.startswith("config.yaml: stories.window: ") and bound in problem
    problem = one_problem(tmp_path, "stories:\n  enabled: sometimes\n")
    assert problem.startswith("config.yaml: stories.enabled: ")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("1h", 3600), ("1d", 86400), ("45", 45), ("2.5m", 150)],
)
def test_durations(tmp_path: Path, text: str, seconds: float) -> None:
    config = load_config(
        write(tmp_path, f"polling:\n  interval: {text}\n  timeout: {text}\n{FEEDS}"), env={}
    )
    assert config.polling.interval == seconds
    assert config.polling.timeout == seconds
    assert parse_duration(text) == seconds


def test_feed_interval_overrides_the_default(tmp_path: Path) -> None:
    text = FEEDS.replace("    title: The Astana Times\n", "    interval: 30m\n")
    config = load_config(write(tmp_path, "polling:\n  interval: 90s\n" + text), env={})
    astana, tengri = config.feeds
    assert config.feed_interval(astana) == 1800
    assert config.feed_interval(tengri) == 90


@pytest.mark.parametrize(
    ("text", "size"),
    [("10MB", 10_000_000), ("512KB", 512_000), ("1MiB", 1_048_576), ("2048", 2048), ("3 mb", 3e6)],
)
def test_sizes(tmp_path: Path, text: str, size: int) -> None:
    config = load_config(write(tmp_path, f"polling:\n  max_bytes: {text}\n"), env={})
    assert config.polling.max_bytes == size
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        ("${TOKEN}", {"TOKEN": "123:abc"}, "123:abc"),
        ("${TOKEN}", {"TOKEN": ""}, ""),  # set but empty: console mode, explicitly
        ("${TOKEN:-fallback}", {}, "fallback"),
        ("${TOKEN:-fallback}", {"TOKEN": ""}, "fallback"),
        ("${TOKEN:-fallback}", {"TOKEN": "123:abc"}, "123:abc"),
        ("pre-${A}-${B:-b}-post", {"A": "a"}, "pre-a-b-post"),
        ("$TOKEN", {"TOKEN": "x"}, "$TOKEN"),  # only the braced form expands
    ],
)
def test_environment_expansion(
    tmp_path: Path, value: str, env: dict[str, str], expected: str
) -> None:
    config = load_config(write(tmp_path, f"telegram:\n  token: '{value}'\n"), env=env)
    assert config.telegram.token == expected
    assert config.console_mode is (expected == "")


def test_environment_expansion_reaches_nested_values(tmp_path: Path) -> None:
    text = (
        "telegram:\n  api_url: ${API:-https://api.telegram.org}\n  admins: ['${ADMIN}']\n"
        "storage:\n  url: ${DB}\n"
        "feeds:\n  - id: a\n    url: https://${HOST}/feed\n"
    )
    env = {"ADMIN": "42", "DB": "postgresql+asyncpg://u@db/newsbot", "HOST": "news.example"}
    config = load_config(write(tmp_path, text, {}), env=env)
    assert config.telegram.api_url == "https://api.telegram.org"
    assert config.telegram.admins == frozenset({42})
    assert config.storage.url == "postgresql+asyncpg://u@db/newsbot"
    assert config.feeds[0].url == "https://news.example/feed"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///newsbot.db", "sqlite:///{base}/newsbot.db"),
        ("sqlite:///data/bot.db", "sqlite:///{base}/data/bot.db"),
        ("sqlite+aiosqlite:///newsbot.db", "sqlite+aiosqlite:///{base}/newsbot.db"),
        ("sqlite:////var/lib/newsbot.db", "sqlite:////var/lib/newsbot.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql+asyncpg://u:p@db/newsbot", "postgresql+asyncpg://u:p@db/newsbot"),
    ],
)
def test_relative_sqlite_path_resolves_against_the_config_folder(
    tmp_path: Path, url: str, expected: str
) -> None:
    config = load_config(write(tmp_path, f"storage:\n  url: '{url}'\n"), env={})
    assert config.storage.url == expected.format(base=tmp_path.resolve())


def test_watchlist_name_defaults_to_file_name_and_title_to_name(tmp_path: Path) -> None:
    lists = {"csto-cis.yaml": "match: [CSTO OR CIS]\n", "other.yml": "name: named\nmatch: [x]\n"}
    config = load_config(write(tmp_path, FEEDS, lists), env={})
    by_name = {w.name: w for w in config.watchlists}
    assert set(by_name) == {"csto-cis", "named"}
    assert by_name["csto-cis"].title == "csto-cis"
    assert by_name["named"].title == "named"
    assert by_name["csto-cis"].feeds is None  # all feeds
    assert by_name["csto-cis"].exclude == ()


def test_watchlists_folder_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "a.yaml").write_text("match: [Rosatom]\n", encoding="utf-8")
    config = load_config(write(tmp_path, "watchlists: lists\n", {}), env={})
    assert [w.name for w in config.watchlists] == ["a"]


def test_the_shipped_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    config = load_config(ROOT / "config.yaml")
    assert config.console_mode
    assert len(config.feeds) >= 5
    assert len(config.watchlists) >= 5


# --- problems ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        ("polling:\n  intervl: 5m\n", ["config.yaml: polling.intervl: unknown setting"]),
        ("telegrm:\n  token: x\n", ["config.yaml: telegrm: unknown setting"]),
        (
            "polling:\n  timeout: soon\n",
            ["config.yaml: polling.timeout: invalid duration 'soon'", "90s, 5m, 1h"],
        ),
        ("polling:\n  interval: 5 minutes\n", ["config.yaml: polling.interval: invalid duration"]),
        ("polling:\n  interval: 0s\n", ["config.yaml: polling.interval:", "1"]),
        ("polling:\n  max_bytes: lots\n", ["config.yaml: polling.max_bytes: invalid size 'lots'"]),
        (
            "feeds:\n  - id: Astana_Times\n    url: https://a.example/\n",
            ["config.yaml: feeds[0].id: 'Astana_Times' does not match", "[a-z0-9-]"],
        ),
        (
            "feeds:\n  - id: a\n    url: ftp://a.example/\n",
            ["config.yaml: feeds[0].url: 'ftp://a.example/' does not match"],
        ),
        ("feeds:\n  - id: a\n", ["config.yaml: feeds[0].url: required, but missing"]),
        (
            "feeds:\n  - id: a\n    url: https://a.example/\n  - id: a\n    url: https://b.example/\n",
            ["config.yaml: feeds[1].id: duplicate feed id 'a'", "feeds[0]"],
        ),
    ],
)
def test_config_file_problems_name_file_field_and_fault(
    tmp_path: Path, config: str, fragments: list[str]
) -> None:
    problem = one_problem(tmp_path, config, {})
    for fragment in fragments:
        assert fragment in problem


@pytest.mark.parametrize(
    ("files", "fragments"),
    [
        (
            {"a.yaml": "match: [x]\n", "b.yaml": "name: a\nmatch: [y]\n"},
            ["watchlists/b.yaml: name: duplicate watchlist name 'a'", "a.yaml"],
        ),
        (
            {"a.yaml": "match: [x]\nfeeds: [astana-times, nope, gone]\n"},
            ["watchlists/a.yaml: feeds: unknown feed id(s) gone, nope"],
        ),
        ({"a.yaml": "match: []\n"}, ["watchlists/a.yaml: match:", "at least 1"]),
        ({"a.yaml": "title: no rules\n"}, ["watchlists/a.yaml: match: required, but missing"]),
        ({"a.yaml": "match: [x]\nexlude: [y]\n"}, ["watchlists/a.yaml: exlude: unknown setting"]),
        ({"a.yaml": "name: Bad Name\nmatch: [x]\n"}, ["watchlists/a.yaml: name: 'Bad Name'"]),
        ({"a.yaml": "match: [x\n"}, ["watchlists/a.yaml: not valid YAML"]),
        ({"a.yaml": "- x\n- y\n"}, ["watchlists/a.yaml: expected a mapping"]),
        ({"a.yaml": "just text\n"}, ["watchlists/a.yaml: expected a mapping"]),
    ],
)
def test_watchlist_problems_name_file_field_and_fault(
    tmp_path: Path, files: dict[str, str], fragments: list[str]
) -> None:
    problem = one_problem(tmp_path, FEEDS, files)
    for fragment in fragments:
        assert fragment in problem


@pytest.mark.parametrize(
    ("rule", "field", "position"),
    [
        ("Rosatom AND (", "match[1]", 13),
        ("Rosatom) OR x", "match[1]", 7),
        ('"unclosed phrase', "match[1]", 0),
        ("a OR", "exclude[0]", 4),
    ],
)
def test_a_rule_that_does_not_parse_is_reported_with_its_position(
    tmp_path: Path, rule: str, field: str, position: int
) -> None:
    key = "exclude" if field.startswith("exclude") else "match"
    rules = {"match": ["Rosatom"], "exclude": []}
    rules[key].append(rule)
    body = "".join(f"{k}:\n" + "".join(f"  - '{r}'\n" for r in v) for k, v in rules.items() if v)
    problem = one_problem(tmp_path, FEEDS, {"a.yaml": body})
    head, quoted, pointer = problem.split("\n")
    assert head.startswith(f"watchlists/a.yaml: {field}: ")
    assert head.endswith(f" at {position}:")
    assert quoted.strip() == rule
    assert pointer.index("^") == quoted.index(rule) + position


def test_not_utf8_watchlist(tmp_path: Path) -> None:
    path = write(tmp_path, FEEDS, {})
    (tmp_path / "watchlists" / "a.yaml").write_bytes(b"match: [\xff\xfe]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    (problem,) = caught.value.problems
    assert problem.startswith("watchlists/a.yaml: not UTF-8 text")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("polling: [1, 2\n", "config.yaml: not valid YAML"),
        ("telegram: {token: 'x'\n", "config.yaml: not valid YAML"),
        ("- feeds\n- watchlists\n", "config.yaml: expected a mapping of settings at the top level"),
        ("just a string\n", "config.yaml: expected a mapping"),
        ("", "config.yaml: expected a mapping"),
    ],
)
def test_unreadable_config_file(tmp_path: Path, text: str, fragment: str) -> None:
    assert fragment in one_problem(tmp_path, text)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nothere.yaml", env={})
    (problem,) = caught.value.problems
    assert problem.startswith("nothere.yaml: cannot read")


def test_missing_watchlists_folder(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, FEEDS + "watchlists: no-such-folder\n", {})
    assert str(tmp_path / "no-such-folder") in problem
    assert "watchlists folder not found" in problem


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    config = FEEDS + "  - id: tengrinews\n    url: https://tengrinews.kz/other.rss\n"
    found = problems(
        tmp_path,
        config,
        {
            "a.yaml": "match: ['Rosatom AND (']\nfeeds: [nope]\n",
            "b.yaml": "match: []\n",
            "c.yaml": "match: [x]\n",
            "d.yaml": "name: c\nmatch: [y]\n",
            "e.yaml": "- not a mapping\n",
        },
    )
    expected = [
        "config.yaml: feeds[2].id: duplicate feed id 'tengrinews'",
        "watchlists/a.yaml: match[0]:",
        "watchlists/a.yaml: feeds: unknown feed id(s) nope",
        "watchlists/b.yaml: match:",
        "watchlists/e.yaml: expected a mapping",
        "watchlists/d.yaml: name: duplicate watchlist name 'c'",  # found once all are read
    ]
    assert len(found) == len(expected)
    for problem, start in zip(found, expected, strict=True):
        assert problem.startswith(start)


def test_watchlists_are_checked_even_when_the_config_file_is_invalid(tmp_path: Path) -> None:
    config = FEEDS + "polling:\n  intervl: 5m\n  timeout: soon\n"
    found = problems(tmp_path, config, {"a.yaml": "match: ['a OR']\nfeeds: [tengrinews, nope]\n"})
    assert sorted(p.split(":")[0:2] for p in found) == [
        ["config.yaml", " polling.intervl"],
        ["config.yaml", " polling.timeout"],
        ["watchlists/a.yaml", " feeds"],
        ["watchlists/a.yaml", " match[0]"],
    ]
    assert found[-1].endswith("unknown feed id(s) nope")


# --- newsbot check ----------------------------------------------------------------


def test_check_accepts_the_shipped_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    assert main(["check", "--config", str(ROOT / "config.yaml")]) == 0
    out, err = capsys.readouterr()
    assert "OK" in out
    assert "console mode" in out
    assert err == ""


def test_check_finds_the_config_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSBOT_CONFIG", str(write(tmp_path, FEEDS)))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "unused")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "config.yaml") in out
    assert "2 feeds, 1 watchlist, 1 rule;" in out


def test_check_reports_every_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        FEEDS + "polling:\n  interval: often\n",
        {"a.yaml": "match: ['(Rosatom']\n", "b.yaml": "match: [x]\nfeeds: [nope]\n"},
    )
    assert main(["check", "--config", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "3 configuration problems" in err
    assert "config.yaml: polling.interval: invalid duration 'often'" in err
    assert "watchlists/a.yaml: match[0]:" in err
    assert "watchlists/b.yaml: feeds: unknown feed id(s) nope" in err


def test_check_on_a_missing_file_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--config", str(tmp_path / "absent.yaml")]) == 1
    assert "absent.yaml: cannot read" in capsys.readouterr().err


def test_a_file_name_that_cannot_be_a_watchlist_name_is_an_error(tmp_path: Path) -> None:
    lists = tmp_path / "watchlists"
    lists.mkdir()
    (lists / "Ядерная энергетика.yaml").write_text("match: [Rosatom]\n", encoding="utf-8")
    (lists / "Named Fine.yaml").write_text("name: named-fine\nmatch: [CSTO]\n", encoding="utf-8")
    found, problems = load_watchlists(lists, set())
    assert [w.name for w in found] == ["named-fine"]
    [problem] = problems
    assert problem.startswith("watchlists/Ядерная энергетика.yaml: name: the file name")


# --- the environment --------------------------------------------------------------


def test_an_unset_variable_is_an_error_naming_it_and_the_field(tmp_path: Path) -> None:
    text = "telegram:\n  token: ${TOKEN}\nstorage:\n  url: ${DB}\n" + FEEDS
    found = problems(tmp_path, text)
    assert len(found) == 2
    token, storage = found
    assert token.startswith("config.yaml: telegram.token: environment variable TOKEN is not set")
    assert 'token: ""' in token  # how to ask for console mode instead
    assert storage.startswith("config.yaml: storage.url: environment variable DB is not set")
    assert "console" not in storage


def test_check_of_the_shipped_config_without_a_token_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["check", "--config", str(ROOT / "config.yaml")]) == 1
    err = capsys.readouterr().err
    assert "telegram.token: environment variable TELEGRAM_BOT_TOKEN is not set" in err
    assert "export TELEGRAM_BOT_TOKEN=" in err and 'token: ""' in err


# --- hostile files ----------------------------------------------------------------

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_yaml_aliases_are_refused_in_config_and_watchlists(tmp_path: Path) -> None:
    config = one_problem(tmp_path, BOMB)
    watchlist = one_problem(tmp_path, FEEDS, {"bomb.yaml": "match: &m [Rosatom]\nexclude: *m\n"})
    assert config.startswith("config.yaml: line 2: YAML aliases (*a) are not accepted")
    assert watchlist.startswith("watchlists/bomb.yaml: line 2: YAML aliases (*m)")


def test_deeply_nested_yaml_is_refused(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, "feeds: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert problem.startswith("config.yaml: line 1: nested more than 100 levels deep")


def test_oversized_files_are_refused(tmp_path: Path) -> None:
    padding = "# " + "x" * 1_100_000 + "\n"
    config = one_problem(tmp_path, padding + FEEDS)
    watchlist = one_problem(tmp_path, FEEDS, {"big.yaml": padding + ANY_FEED})
    assert config == "config.yaml: larger than 1 MB; is this the right file?"
    assert watchlist == "watchlists/big.yaml: larger than 1 MB; is this the right file?"


def test_too_many_watchlist_files_are_refused(tmp_path: Path) -> None:
    lists = tmp_path / "watchlists"
    lists.mkdir()
    for n in range(501):
        (lists / f"w{n}.yaml").write_text("match: [Rosatom]\n", encoding="utf-8")
    found, problems = load_watchlists(lists, set())
    assert found == []
    assert problems == [f"{lists}: 501 watchlist files; at most 500 are read"]


def test_check_on_an_alias_bomb_exits_1_at_once(tmp_path: Path) -> None:
    """In a process capped at 1 GB of memory: a bomb that expands fails, not this machine."""
    write(tmp_path, BOMB + "feeds: []\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "check", "--config", str(tmp_path / "config.yaml")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            preexec_fn=_cap_memory,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("newsbot check hangs on an alias bomb") from None
    assert done.returncode == 1, done.stderr
    assert "config.yaml: line 2: YAML aliases (*a) are not accepted" in done.stderr
    assert "Traceback" not in done.stderr


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


# --- bounds -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("interval: 99999999999999999999d", "at most 365d"),
        ("interval: 366d", "at most 365d"),
        ("timeout: .inf", "not a finite duration"),
        ("timeout: .nan", "not a finite duration"),
        ("max_interval: -5", "negative"),
        ("max_interval: 1.0e+30", "at most 365d"),
        ("max_bytes: 99999999999GB", "at most 1GB"),
        ("max_bytes: 99999999999999999999999", "at most 1GB"),
        ("concurrency: 100000", "less than or equal to 1000"),
    ],
)
def test_absurd_durations_and_sizes_are_refused(
    tmp_path: Path, setting: str, fragment: str
) -> None:
    problem = one_problem(tmp_path, f"polling:\n  {setting}\n{FEEDS}")
    assert problem.startswith(f"config.yaml: polling.{setting.split(':')[0]}: ")
    assert fragment in problem


def test_an_absurd_feed_interval_is_refused(tmp_path: Path) -> None:
    text = FEEDS.replace("    title: The Astana Times\n", "    interval: 99999999999999999999d\n")
    assert one_problem(tmp_path, text).startswith("config.yaml: feeds[0].interval: at most 365d")


# --- check leaves the database alone ---------------------------------------------


def test_check_neither_creates_nor_migrates_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, FEEDS)
    assert main(["check", "--config", str(path)]) == 0
    assert not (tmp_path / "newsbot.db").exists()
    (tmp_path / "newsbot.db").write_bytes(b"")  # an empty SQLite database, not migrated
    assert main(["check", "--config", str(path)]) == 0
    assert (tmp_path / "newsbot.db").read_bytes() == b""
    assert "OK" in capsys.readouterr().out


def test_a_watchlists_folder_over_4_mb_is_refused(tmp_path: Path) -> None:
    lists = tmp_path / "watchlists"
    lists.mkdir()
    padding = "# " + "x" * 990_000 + "\n"
    for n in range(5):
        (lists / f"w{n}.yaml").write_text(padding + "match: [Rosatom]\n", encoding="utf-8")
    found, problems = load_watchlists(lists, set())
    assert found == []
    assert problems == [f"{lists}: the watchlist files take 5 MB; at most 4 MB are read"]


def test_a_watchlist_that_is_not_a_regular_file_is_refused_without_blocking(
    tmp_path: Path,
) -> None:
    lists = tmp_path / "watchlists"
    lists.mkdir()
    os.mkfifo(lists / "pipe.yaml")  # opening it for reading would wait for a writer
    (lists / "ok.yaml").write_text("match: [Rosatom]\n", encoding="utf-8")
    found, problems = load_watchlists(lists, set())
    assert [w.name for w in found] == ["ok"]
    assert problems == ["watchlists/pipe.yaml: not a regular file"]


@pytest.mark.parametrize("url", ["notaurl", "mysql://u@db/x", "sqlite:///"])
def test_a_storage_url_newsbot_cannot_use_is_refused(tmp_path: Path, url: str) -> None:
    found = one_problem(tmp_path, f"storage:\n  url: '{url}'\n" + FEEDS)
    assert found.startswith("config.yaml: storage.url: not a database URL newsbot can use")


def test_adaptive_bounds_in_the_wrong_order_are_refused(tmp_path: Path) -> None:
    found = one_problem(tmp_path, "polling:\n  min_interval: 1h\n  max_interval: 1m\n" + FEEDS)
    assert found.startswith("config.yaml: polling: min_interval is longer than max_interval")


@pytest.mark.parametrize(
    "value", ["1" * 5000, "2024-13-01"], ids=["5000-digit-number", "impossible-date"]
)
def test_a_value_yaml_cannot_read_is_a_problem_not_a_traceback(tmp_path: Path, value: str) -> None:
    found = one_problem(tmp_path, f"extra: {value}\n" + FEEDS)
    assert found.startswith("config.yaml: a value that cannot be read")


# --- metrics.listen -------------------------------------------------------------


@pytest.mark.parametrize(
    ("listen", "address"),
    [
        ("127.0.0.1:9108", ("127.0.0.1", 9108)),
        ("localhost:9464", ("localhost", 9464)),
        ("'[::1]:9108'", ("::1", 9108)),
        ("':9108'", ("0.0.0.0", 9108)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
    ],
)
def test_metrics_listen(tmp_path: Path, listen: str, address: tuple[str, int]) -> None:
    config = load_config(write(tmp_path, f"metrics:\n  listen: {listen}\n"), env={})
    assert config.metrics.address == address


def test_metrics_are_off_by_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "feeds: []\n"), env={})
    assert config.metrics.listen is None
    assert config.metrics.address is None
    off = load_config(write(tmp_path, "metrics:\n  listen:\n"), env={})
    assert off.metrics.address is None


@pytest.mark.parametrize("listen", ["9108", "127.0.0.1", "127.0.0.1:99999", "host:port", "a b:1"])
def test_a_bad_metrics_address_names_the_field_and_the_fix(tmp_path: Path, listen: str) -> None:
    problem = one_problem(tmp_path, f"metrics:\n  listen: '{listen}'\n")
    assert problem.startswith("config.yaml: metrics.listen: expected HOST:PORT")
    assert repr(listen) in problem


def test_a_metrics_port_written_as_a_number_is_refused(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, "metrics:\n  listen: 9108\n")
    assert problem.startswith("config.yaml: metrics.listen: expected HOST:PORT")
