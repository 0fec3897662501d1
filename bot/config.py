"""config.yaml and watchlists/*.yaml -> frozen, validated objects.

``load_config(path)`` either returns a complete :class:`Config` or raises
:class:`~bot.errors.ConfigError` listing every problem found, each as
``FILE: FIELD: what is wrong``. Nothing else in newsbot reads YAML (the files
themselves are read by :mod:`bot.configfile`, within its bounds).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.configfile import expand_env, location, read_yaml, unset_problem
from bot.errors import ConfigError, QueryError
from bot.matching import parse_query

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_SQLITE = re.compile(r"^(sqlite(?:\+\w+)?:///)(.*)$", re.DOTALL)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_BYTES = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2}
_BYTES["gib"] = 1024**3


MAX_DURATION = 365 * 86400.0  # a year: anything longer is a typo, and overflows dates
MAX_SIZE = 1000**3
MAX_WATCHLIST_FILES = 500
MAX_WATCHLIST_BYTES = 4_000_000  # the whole folder: reading 1 MB of rules takes seconds


def parse_duration(value: object) -> float:
    """``90s``, ``5m``, ``1h``, ``1d`` or plain seconds -> seconds; finite, 0 to 365 days."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        return _bounded(value, 1.0, MAX_DURATION, "duration", "365d")
    found = _DURATION.match(str(value))
    if not found:
        raise ValueError(f"invalid duration {value!r} (use 90s, 5m, 1h or plain seconds)")
    return _bounded(float(found[1]), _UNITS[found[2] or "s"], MAX_DURATION, "duration", "365d")


def parse_size(value: object) -> int:
    """``10MB``, ``512KB``, ``1MiB`` or plain bytes -> bytes; at most 1 GB."""
    if isinstance(value, bool):
        raise ValueError(f"invalid size {value!r}")
    if isinstance(value, int | float):
        return int(_bounded(value, 1, MAX_SIZE, "size", "1GB"))
    found = _SIZE.match(str(value))
    if not found:
        raise ValueError(f"invalid size {value!r} (use 10MB, 512KB or plain bytes)")
    unit = _BYTES[(found[2] or "b").lower()]
    return int(_bounded(float(found[1]), unit, MAX_SIZE, "size", "1GB"))


def _bounded(number: float, unit: float, most: float, what: str, shown: str) -> float:
    """``number * unit``, refused unless finite and within 0..``most``."""
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"not a finite {what}")
    if number < 0:
        raise ValueError(f"a {what} cannot be negative")
    if number > most / unit:  # compared before float(): a huge integer would overflow
        raise ValueError(f"at most {shown}")
    return float(number) * unit


def _whole_number(value: object) -> object:
    """Refuse ``true``: YAML's booleans would pass for 1 and 0 as plain integers."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number of days, not yes or no")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
Days = Annotated[int, BeforeValidator(_whole_number)]
Size = Annotated[int, BeforeValidator(parse_size)]
_FEED_ID = r"^[a-z0-9][a-z0-9-]{0,59}$"  # short: it goes into Telegram button data


def _default_workers() -> int:
    cores = os.cpu_count() or 1
    return min(cores, 4) if cores > 1 else 0


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


MAX_SEARCH_DAYS = 90  # what /search, /recent and the /watch preview may look back through


_WEBHOOK_URL = re.compile(r"^https://[^\s/?#]+(/\S*)?$", re.IGNORECASE)


class TelegramConfig(_Model):
    token: str = ""
    api_url: str = "https://api.telegram.org"
    admins: frozenset[int] = frozenset()
    # Days of stored entries that /search, /recent and the /watch preview look through
    search_days: Days = Field(default=7, ge=1, le=MAX_SEARCH_DAYS)
    # Set: updates come by webhook to this public https address, which forwards to
    # ``webhook_listen`` on every instance; unset: one instance long-polls getUpdates.
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0:8443"  # HOST:PORT this instance takes them at
    # What Telegram sends in each webhook request to prove it is Telegram; unset: one is
    # derived from the token, the same on every instance.
    webhook_secret: str | None = Field(default=None, pattern=r"^([A-Za-z0-9_-]{16,256})?$")

    @field_validator("webhook_url")
    @classmethod
    def _public_https(cls, url: str | None) -> str | None:
        if url is None or not url.strip():  # `${WEBHOOK_URL:-}` unset: long polling
            return None
        if not _WEBHOOK_URL.match(url.strip()):
            raise ValueError(
                "expected the public https:// address Telegram posts updates to, "
                "such as https://bot.example.org/hook"
            )
        return url.strip()

    @field_validator("webhook_listen")
    @classmethod
    def _webhook_host_and_port(cls, listen: str) -> str:
        parse_listen(listen)
        return listen.strip()

    @property
    def webhook_address(self) -> tuple[str, int]:
        return parse_listen(self.webhook_listen)

    @property
    def webhook_token(self) -> str:
        """What Telegram sends with each webhook request: ``webhook_secret``, else one
        derived from the token (every instance of the bot derives the same)."""
        if self.webhook_secret:  # empty (an unset variable's fallback): derived
            return self.webhook_secret
        return hashlib.sha256(b"newsbot webhook " + self.token.strip().encode()).hexdigest()


_DATABASE_URL = re.compile(r"^(sqlite(\+\w+)?:///|postgres(ql)?(\+\w+)?://)\S", re.IGNORECASE)


class StorageConfig(_Model):
    url: str = "sqlite:///newsbot.db"

    @field_validator("url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not _DATABASE_URL.match(url):
            raise ValueError(
                "not a database URL newsbot can use: write sqlite:///FILE "
                "or postgresql://USER:PASSWORD@HOST/DATABASE"
            )
        return url


class PollingConfig(_Model):
    interval: Duration | None = Field(default=None, ge=1)
    min_interval: Duration = Field(default=120, ge=1)
    max_interval: Duration = Field(default=6 * 3600, ge=1)
    timeout: Duration = Field(default=20, gt=0)
    max_bytes: Size = Field(default=10 * 1000**2, gt=0)
    concurrency: int = Field(default=16, ge=1, le=1000)
    per_host: int = Field(default=2, ge=1, le=1000)
    # Processes that parse feeds in parallel; 0 parses in a thread of the main process.
    parse_workers: int = Field(default_factory=lambda: _default_workers(), ge=0, le=64)

    @model_validator(mode="after")
    def _bounds_in_order(self) -> PollingConfig:
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval is longer than max_interval: swap them")
        return self


class DeliveryConfig(_Model):
    max_age: Duration = Field(default=24 * 3600, gt=0)


MAX_STORY_WINDOW = 30 * 86400  # entries further back are never compared


class StoriesConfig(_Model):
    """Grouping the same news from several outlets into one story (one alert per chat)."""

    enabled: bool = True
    # how far back a new entry is compared with the entries of every feed
    window: Duration = Field(default=48 * 3600, ge=60, le=MAX_STORY_WINDOW)


_LISTEN = re.compile(r"^(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[^\s:\[\]]*)):(?P<port>\d{1,5})$")


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9108`` for IPv6, ``:9108`` for every interface) -> (host, port).

    Port 0 takes any free port (``newsbot run`` logs the one it got).
    """
    found = _LISTEN.match(value.strip())
    if not found or int(found["port"]) > 65535:
        raise ValueError("expected HOST:PORT, such as 127.0.0.1:9108 or [::1]:9108")
    host = found["ipv6"] or found["host"] or "0.0.0.0"
    return host, int(found["port"])


class MetricsConfig(_Model):
    """The Prometheus /metrics and the /healthz endpoint of ``newsbot run``; off by default."""

    listen: str | None = None  # HOST:PORT

    @field_validator("listen", mode="before")
    @classmethod
    def _host_and_port(cls, listen: object) -> object:
        if listen is None:
            return None
        if not isinstance(listen, str):
            raise ValueError("expected HOST:PORT, such as 127.0.0.1:9108, in quotes or not")
        parse_listen(listen)
        return listen.strip()

    @property
    def address(self) -> tuple[str, int] | None:
        """Where to listen, or None when off."""
        return parse_listen(self.listen) if self.listen else None


class ClusterConfig(_Model):
    """Several ``newsbot run`` instances on one PostgreSQL database."""

    # How soon another instance takes over Telegram, and a dead instance's feeds, when
    # one stops answering.
    failover: Duration = Field(default=15, ge=3, le=600)


class FeedConfig(_Model):
    id: str = Field(pattern=_FEED_ID)
    url: str = Field(pattern=r"^https?://\S+$")
    title: str | None = None
    interval: Duration | None = Field(default=None, ge=1)


class _ConfigFile(_Model):
    telegram: TelegramConfig = TelegramConfig()
    storage: StorageConfig = StorageConfig()
    polling: PollingConfig = PollingConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    stories: StoriesConfig = StoriesConfig()
    metrics: MetricsConfig = MetricsConfig()
    cluster: ClusterConfig = ClusterConfig()
    watchlists: str = "watchlists"
    feeds: tuple[FeedConfig, ...] = ()


class _WatchlistFile(_Model):
    name: str | None = Field(default=None, pattern=_FEED_ID)
    title: str | None = None
    description: str = ""
    match: tuple[str, ...] = Field(min_length=1)
    exclude: tuple[str, ...] = ()
    feeds: tuple[str, ...] | None = None
    variants: StrictBool = False  # yes or no, not a string or a number that means one


@dataclass(frozen=True)
class Watchlist:
    """One watchlist file: an entry matches when any ``match`` rule does and no ``exclude``."""

    name: str
    title: str
    description: str
    match: tuple[str, ...]
    exclude: tuple[str, ...]
    feeds: frozenset[str] | None
    path: Path
    variants: bool = False  # every term as if written ``~term``: its other spellings match


@dataclass(frozen=True)
class Config:
    """Everything newsbot needs to start, validated."""

    path: Path
    telegram: TelegramConfig
    storage: StorageConfig
    polling: PollingConfig
    delivery: DeliveryConfig
    feeds: tuple[FeedConfig, ...]
    watchlists: tuple[Watchlist, ...]
    watchlists_dir: Path | None = None  # where the watchlists were read from
    console: bool = False  # console mode asked for (`newsbot run --console`), whatever the token
    stories: StoriesConfig = field(default_factory=StoriesConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)

    @property
    def console_mode(self) -> bool:
        """Console mode asked for, or an empty token: alerts are printed instead of sent."""
        return self.console or not self.telegram.token.strip()

    def in_console_mode(self) -> Config:
        """This config with console mode asked for explicitly."""
        return replace(self, console=True)

    def feed_interval(self, feed: FeedConfig) -> float | None:
        """The fixed interval for ``feed``, or None when it adapts."""
        return feed.interval if feed.interval is not None else self.polling.interval


def default_config_path(given: str | None) -> Path:
    """``--config``, else ``$NEWSBOT_CONFIG``, else ``./config.yaml``."""
    return Path(given or os.environ.get("NEWSBOT_CONFIG") or "config.yaml")


def load_config(path: Path, env: dict[str, str] | None = None) -> Config:
    """Read and validate ``path`` and every watchlist it points to; raise ConfigError."""
    env = dict(os.environ) if env is None else env
    unset: list[tuple[str, str]] = []
    raw = expand_env(read_yaml(path, path.name), env, (), unset)
    env_problems = [unset_problem(path.name, field, name) for field, name in unset]
    try:
        parsed = _ConfigFile.model_validate(raw)
    except ValidationError as exc:
        # The watchlists are still checked, so that one run reports every problem.
        described = _describe(path.name, exc, skip={field for field, _ in unset})
        raise ConfigError(env_problems + described + _raw_watchlist_problems(path, raw)) from exc
    problems = env_problems + _check_feeds(path.name, parsed.feeds)
    folder = path.parent / parsed.watchlists
    watchlists, wl_problems = load_watchlists(folder, {f.id for f in parsed.feeds})
    if problems or wl_problems:
        raise ConfigError(problems + wl_problems)
    storage = StorageConfig(url=resolve_storage_url(parsed.storage.url, path.parent))
    return Config(
        path,
        parsed.telegram,
        storage,
        parsed.polling,
        parsed.delivery,
        parsed.feeds,
        tuple(watchlists),
        folder,
        stories=parsed.stories,
        metrics=parsed.metrics,
        cluster=parsed.cluster,
    )


def watchlists_folder_of(path: Path) -> Path:
    """The watchlists folder ``path`` names, read without the rest of the config.

    For commands that need only the watchlists (``newsbot demo``): no variable from the
    environment is needed. Raises ConfigError when the file cannot say.
    """
    folder = read_yaml(path, path.name).get("watchlists", "watchlists")
    if not isinstance(folder, str):
        raise ConfigError([f"{path.name}: watchlists: expected a folder name"])
    return path.parent / folder


def _raw_watchlist_problems(path: Path, raw: dict[str, Any]) -> list[str]:
    """The watchlists' problems, judged against a config file that did not validate."""
    folder, feeds = raw.get("watchlists", "watchlists"), raw.get("feeds") or []
    if not isinstance(folder, str) or not isinstance(feeds, list):
        return []
    ids = {f["id"] for f in feeds if isinstance(f, dict) and isinstance(f.get("id"), str)}
    return load_watchlists(path.parent / folder, ids)[1]


def resolve_storage_url(url: str, base: Path) -> str:
    """Make a relative ``sqlite[+driver]:///file`` path absolute against the config's folder."""
    found = _SQLITE.match(url)
    if not found or found[2] in ("", ":memory:"):
        return url
    target = Path(found[2])
    if not target.is_absolute():
        target = (base / target).resolve()
    return found[1] + str(target)


def load_watchlists(folder: Path, feed_ids: set[str]) -> tuple[list[Watchlist], list[str]]:
    """Every ``*.yaml`` in ``folder``, validated; returns (watchlists, problems)."""
    if not folder.is_dir():
        return [], [f"{folder}: watchlists folder not found"]
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    too_many = _too_many(folder, files)
    if too_many:
        return [], [too_many]
    found: list[Watchlist] = []
    problems: list[str] = []
    for file in files:
        try:
            found.append(_load_watchlist(file, feed_ids))
        except ConfigError as exc:
            problems.extend(exc.problems)
    names = [(f"{w.path.parent.name}/{w.path.name}: name", w.name) for w in found]
    problems.extend(_duplicates("watchlist name", names))
    return found, problems


def _too_many(folder: Path, files: list[Path]) -> str | None:
    """Why the folder is too large to read (each file has its own bound too), or None."""
    if len(files) > MAX_WATCHLIST_FILES:
        return f"{folder}: {len(files)} watchlist files; at most {MAX_WATCHLIST_FILES} are read"
    total = 0
    for file in files:
        with contextlib.suppress(OSError):  # reading it will say what is wrong
            total += file.stat().st_size
    if total > MAX_WATCHLIST_BYTES:
        return f"{folder}: the watchlist files take {total / 1e6:.0f} MB; at most 4 MB are read"
    return None


def _load_watchlist(file: Path, feed_ids: set[str]) -> Watchlist:
    label = f"{file.parent.name}/{file.name}"
    try:
        parsed = _WatchlistFile.model_validate(read_yaml(file, label))
    except ValidationError as exc:
        raise ConfigError(_describe(label, exc)) from exc
    problems = _check_rules(label, "match", parsed.match)
    problems += _check_rules(label, "exclude", parsed.exclude)
    unknown = sorted(set(parsed.feeds or ()) - feed_ids)
    if unknown:
        problems.append(f"{label}: feeds: unknown feed id(s) {', '.join(unknown)}")
    if parsed.name is None and not re.match(_FEED_ID, file.stem):
        problems.append(
            f"{label}: name: the file name {file.stem!r} is not a usable watchlist name "
            "(lower-case letters, digits and '-', at most 60): rename the file or set name:"
        )
    if problems:
        raise ConfigError(problems)
    name = parsed.name or file.stem
    feeds = frozenset(parsed.feeds) if parsed.feeds is not None else None
    return Watchlist(
        name,
        parsed.title or name,
        parsed.description.strip(),
        parsed.match,
        parsed.exclude,
        feeds,
        file,
        parsed.variants,
    )


def _check_rules(label: str, field: str, rules: tuple[str, ...]) -> list[str]:
    problems = []
    for index, rule in enumerate(rules):
        try:
            parse_query(rule)
        except QueryError as exc:
            pointer = f"{rule}\n{' ' * (exc.position + 4)}^"
            problems.append(f"{label}: {field}[{index}]: {exc}:\n    {pointer}")
    return problems


def _check_feeds(label: str, feeds: tuple[FeedConfig, ...]) -> list[str]:
    return _duplicates("feed id", [(f"{label}: feeds[{i}].id", f.id) for i, f in enumerate(feeds)])


def _duplicates(what: str, items: list[tuple[str, str]]) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for where, key in items:
        if key in seen:
            problems.append(f"{where}: duplicate {what} {key!r} (also in {seen[key]})")
        seen.setdefault(key, where)
    return problems


# Fields whose value may be a secret: their problems never quote the value.
_SECRET_FIELDS = {("telegram", "token"), ("telegram", "webhook_secret"), ("storage", "url")}


def _describe(label: str, exc: ValidationError, skip: Collection[str] = ()) -> list[str]:
    """One problem per error; none for the fields in ``skip`` (already reported)."""
    return [
        f"{label}: {location(e['loc'])}: {_message(e, quote=e['loc'][:2] not in _SECRET_FIELDS)}"
        for e in exc.errors()
        if location(e["loc"]) not in skip
    ]


_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "extra_forbidden": lambda e: "unknown setting (check the spelling)",
    "bool_type": lambda e: f"expected true or false (got {e['input']!r})",
    "missing": lambda e: "required, but missing",
    "string_pattern_mismatch": lambda e: f"{e['input']!r} does not match {e['ctx']['pattern']}",
}


def _message(error: Any, quote: bool = True) -> str:
    custom = _MESSAGES.get(error["type"])
    if custom and quote:
        return custom(error)
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{message} (got {error['input']!r})" if quote and "input" in error else message
