"""Several `newsbot run` instances on one PostgreSQL database: is a cycle as fast, and
is every feed still polled once and every alert delivered once?

``--feeds`` RSS feeds of ``--entries`` entries each are served by one local HTTP server
(an asyncio server of pre-rendered bodies, in a process of its own, which logs every
request: time, client port, status, path). One feed in ten has one entry that a
watchlist matches, each a story in words of its own (made-up words: no two entries
are one story); ``--chats`` chats are subscribed to the watchlist, so each such feed
makes one alert per chat.

For each setting, 1 instance and then ``--instances``, on a fresh PostgreSQL database
(the server at 127.0.0.1:5432, as the tests use it) and a fresh fake Bot API: the
schema and the feed rows are created with `newsbot feeds`, every feed is marked as
polled before (so its entries are new, and alerted), the chats are added, and the
instances are started together. Each feed's interval (10 minutes) is longer than a
run, so each feed should be fetched exactly once. Measured:

  cycle        from the first fetch to the moment every feed had been fetched
  fetches      fetches per feed while the instances ran (1.000 expected), the feeds
               fetched more than once, and how many each instance made (the client
               port of each request, mapped to the instance that owned the socket, from
               /proc: Linux only)
  alerts       expected vs sent to the fake Bot API: lost (never sent) and doubled
               (sent more than once); when the last was sent, from the first fetch;
               from each matching feed's fetch to its alert (median, max)
  CPU          during the cycle: the instances' (parse workers included), PostgreSQL's
               and other processes' on the machine, which make the times unreliable
               (before each run the benchmark waits up to ``--quiet-wait`` seconds
               for the machine to be idle, and warns if it was not); the instances' in
               all, start-up and delivery included
  database     transactions per feed and sessions (connections) in the run's database

The instances are stopped with SIGTERM once the cycle is over, every alert has been
sent and ``--settle`` seconds more have passed (an instance that lost a claim tries
the feed again when that claim would lapse, ``cluster.failover`` after it was taken: a
fetch twice would show by then). Each must exit 0; ERROR lines, tracebacks and a
count of each kind of WARNING in their logs are printed. Medians over ``--runs`` runs
of each setting, then the ratios N instances / 1 instance of the cycle time and of
the instances' CPU during the cycle. ``--keep DIR`` keeps each run's config and logs.

With 5,000 feeds one run of each setting takes 8 to 12 minutes on a 2-core machine.

    uv run python benchmarks/scale.py [--feeds 5000] [--instances 3] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.configs import NUCLEAR  # noqa: E402
from support.databases import execute, postgres_database  # noqa: E402
from support.fakebotapi import FakeBotAPI  # noqa: E402

MATCHING = 10  # one feed in this many has an entry the watchlist matches
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
DISPATCH = re.compile(r"dispatch (\d+)")
SAMPLE_EVERY = 0.2  # seconds between looks at the server's log, the sockets, the fake
FIRST_CHAT = 1001


# ---------------------------------------------------------------- the feeds


def words(rng: random.Random, count: int) -> str:
    """``count`` made-up words: no two entries share enough of them to be one story."""
    return " ".join("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(count))


def matches(feed: int) -> bool:
    return feed % MATCHING == MATCHING // 2


def feed_path(feed: int) -> str:
    return f"/feed/{feed:05d}.xml"


def feed_body(feed: int, entries: int, published: datetime) -> bytes:
    """An RSS 2.0 feed; in a matching feed the first entry names Rosatom."""
    rng = random.Random(feed)
    items = []
    for n in range(entries):
        title = words(rng, 7).capitalize()
        if n == 0 and matches(feed):
            title = f"Rosatom {words(rng, 6)} dispatch {feed}"
        when = format_datetime(published - timedelta(minutes=7 * n + feed % 50), usegmt=True)
        items.append(
            f"<item><title>{title}</title>"
            f"<link>https://site{feed}.example/news/{n}</link>"
            f"<guid>https://site{feed}.example/news/{n}</guid>"
            f"<pubDate>{when}</pubDate>"
            f"<description>{words(rng, 30).capitalize()}.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {feed}</title><link>https://site{feed}.example/</link>"
        f"<description>news</description>{''.join(items)}</channel></rss>"
    ).encode()


def serve(feeds: int, entries: int, log_path: Path) -> None:
    """The feed server (a child process of the benchmark): prints its port, then serves
    until SIGTERM. One line per request goes to ``log_path``: time, client port,
    status, path."""
    published = datetime.now(UTC) - timedelta(minutes=5)
    replies: dict[bytes, tuple[bytes, bytes, bytes]] = {}
    for feed in range(feeds):
        body = feed_body(feed, entries, published)
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        head = (f"ETag: {tag}\r\nContent-Type: application/rss+xml; charset=utf-8\r\n").encode()
        full = b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: %d\r\n\r\n" % len(body) + body
        fresh = b"HTTP/1.1 304 Not Modified\r\n" + head + b"Content-Length: 0\r\n\r\n"
        replies[feed_path(feed).encode()] = (tag.encode(), full, fresh)
    asyncio.run(_serve(replies, log_path))


async def _serve(replies: dict[bytes, tuple[bytes, bytes, bytes]], log_path: Path) -> None:
    lines: list[str] = []
    missing = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"

    class Feeds(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport
            self.port = transport.get_extra_info("peername")[1]
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
                self.answer(head.split(b"\r\n"))

        def answer(self, head: list[bytes]) -> None:
            path = head[0].split(b" ")[1]
            fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(b":") for h in head)}
            tag, full, fresh = replies.get(path, (b"", missing, missing))
            reply = fresh if tag and fields.get(b"if-none-match") == tag else full
            self.transport.write(reply)
            lines.append(f"{time.time():.6f} {self.port} {reply[9:12].decode()} {path.decode()}\n")

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    server = await loop.create_server(Feeds, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    with log_path.open("a", encoding="utf-8") as log:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)
            log.writelines(lines)
            log.flush()
            lines.clear()
    server.close()


@dataclass(frozen=True)
class Fetch:
    at: float
    port: int
    status: str
    path: str


class ServerLog:
    """The feed server's log, read as it grows."""

    def __init__(self, path: Path) -> None:
        self._file = path.open(encoding="utf-8")
        self._rest = ""

    def skip(self) -> None:
        """Forget what was logged so far."""
        self.read()

    def read(self) -> list[Fetch]:
        text = self._rest + self._file.read()
        *complete, self._rest = text.split("\n")
        return [Fetch(float(t), int(p), s, path) for t, p, s, path in map(str.split, complete)]


@contextlib.contextmanager
def feed_server(feeds: int, entries: int, folder: Path) -> Iterator[tuple[int, ServerLog]]:
    log_path = folder / "feedserver.log"
    log_path.touch()
    command = [sys.executable, __file__, "--serve-log", str(log_path)]
    command += ["--feeds", str(feeds), "--entries", str(entries)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield port, ServerLog(log_path)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


# ---------------------------------------------------------------- one run


def write_config(folder: Path, url: str, api: FakeBotAPI, port: int, args: Namespace) -> Path:
    lists = folder / "watchlists"
    lists.mkdir(exist_ok=True)
    (lists / "kz-nuclear.yaml").write_text(NUCLEAR, encoding="utf-8")
    feeds = "".join(
        f"  - id: f{n:05d}\n    url: http://127.0.0.1:{port}{feed_path(n)}\n"
        for n in range(args.feeds)
    )
    path = folder / "config.yaml"
    path.write_text(
        f"telegram:\n  token: '{api.token}'\n  api_url: {api.api_url}\n"
        f"storage:\n  url: {url}\n"
        "polling:\n"
        # longer than a run: each feed's one poll is the one measured
        "  interval: 10m\n"
        # one local server stands in for thousands of sites: the politeness limit per
        # host would otherwise make it a benchmark of that limit
        f"  per_host: {args.per_host}\n"
        "watchlists: watchlists\n"
        f"feeds:\n{feeds}",
        encoding="utf-8",
    )
    return path


def prepare(config: Path, url: str, chats: list[int]) -> None:
    """The schema and the feed rows, every feed as if polled before, the chats subscribed."""
    subprocess.run(
        [sys.executable, "-m", "bot", "feeds", "--config", str(config)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=config.parent,
        check=True,
        capture_output=True,
    )
    execute(url, "UPDATE feeds SET initialized = true")
    now = datetime.now(UTC)
    rows = [{"id": c, "title": f"chat {c}", "created_at": now} for c in chats]
    execute(
        url,
        "INSERT INTO chats (id, type, title, active, created_at, language_set) "
        "VALUES (:id, 'private', :title, true, :created_at, false)",
        *rows,
    )
    execute(
        url,
        "INSERT INTO subscriptions (chat_id, watchlist, created_at) "
        "VALUES (:id, 'kz-nuclear', :created_at)",
        *rows,
    )


@dataclass(frozen=True)
class Cpu:
    """CPU seconds used so far: by the whole machine, by the instances (their parse
    workers included), by PostgreSQL's processes (whoever's sessions they serve)."""

    machine: float = 0.0
    instances: float = 0.0
    postgres: float = 0.0

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(
            self.machine - other.machine,
            self.instances - other.instances,
            self.postgres - other.postgres,
        )


TICK = os.sysconf("SC_CLK_TCK")


def cpu_now(processes: list[subprocess.Popen[bytes]]) -> Cpu:
    with open("/proc/stat", encoding="ascii") as stat:
        user, nice, system, _idle, _wait, irq, softirq, steal = map(
            int, stat.readline().split()[1:9]
        )
    machine = (user + nice + system + irq + softirq + steal) / TICK
    ours = []
    for process in processes:
        ours.append(process.pid)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{process.pid}/task"):
                with open(f"/proc/{process.pid}/task/{task}/children", encoding="ascii") as kids:
                    ours += map(int, kids.read().split())
    postgres = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{name}/comm", encoding="ascii") as comm:
                if comm.read().strip() == "postgres":
                    postgres.append(int(name))
    server = sum(_used(pid, reaped=True) for pid in postgres)  # ended sessions too
    return Cpu(machine, sum(map(_used, ours)), server)


def _used(pid: int, reaped: bool = False) -> float:
    """CPU seconds the process has used (0 if it is gone); ``reaped``: with those of its
    children that have ended."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(map(int, fields[11:15] if reaped else fields[11:13]))
    return ticks / TICK


@dataclass
class Run:
    instances: int
    cycle: float | None = None  # seconds; None: not every feed was fetched
    fetches: int = 0
    fetched_twice: int = 0
    expected: int = 0
    lost: int = 0
    doubled: int = 0
    delivered_in: float | None = None  # from the first fetch; None: not all delivered
    latency: list[float] = field(default_factory=list)  # each alert's, from its fetch
    share: list[int] = field(default_factory=list)
    unattributed: int = 0
    cpu: float = 0.0
    cycle_cpu: Cpu = Cpu()
    transactions: int = 0  # in the run's database, the benchmark's own few included
    sessions: int = 0  # connections made to it
    exits: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def run_once(instances: int, port: int, log: ServerLog, args: Namespace) -> Run:
    chats = [FIRST_CHAT + n for n in range(args.chats)]
    result = Run(instances, expected=len(chats) * sum(map(matches, range(args.feeds))))
    with (
        FakeBotAPI() as api,
        postgres_database() as url,
        _folder(args.keep, f"{instances}-instances-") as folder,
    ):
        for chat in chats:
            api.add_user(chat, f"Reader {chat}")
            api.add_chat(chat)
        config = write_config(folder, url, api, port, args)
        prepare(config, url, chats)
        log.skip()
        processes = [start(config, folder / f"instance{n + 1}.log") for n in range(instances)]
        watch = Watch(processes, log, api, args)
        try:
            watch.until_done(result)
        finally:
            stop(processes, result)
        watch.sample()
        watch.count(result)
        time.sleep(1)  # a session's statistics reach the server as the session ends
        [(result.transactions, result.sessions)] = execute(
            url,
            "SELECT xact_commit + xact_rollback, sessions FROM pg_stat_database "
            "WHERE datname = current_database()",
        )
        for n in range(instances):
            result.problems += problems(folder / f"instance{n + 1}.log", n + 1)
    return result


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            cwd=config.parent,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class Watch:
    """What a run has shown so far: the fetches, which instance owned each client port,
    the messages sent (each alert with when it was first seen), the CPU used."""

    def __init__(
        self,
        processes: list[subprocess.Popen[bytes]],
        log: ServerLog,
        api: FakeBotAPI,
        args: Namespace,
    ) -> None:
        self._processes = processes
        self._log = log
        self._api = api
        self._args = args
        self.fetches: list[Fetch] = []
        self.owners: dict[int, int] = {}
        self.unfetched = {feed_path(n) for n in range(args.feeds)}
        self.cycle_end: float | None = None
        self.alerts: list[tuple[int, int]] = []  # (chat, matching feed) of each alert sent
        self.first_seen: dict[tuple[int, int], float] = {}
        self.others = 0  # messages sent that are not alerts
        self._calls = 0
        self.cpu: list[tuple[float, Cpu]] = []

    def until_done(self, result: Run) -> None:
        """Watch until the cycle is over, every alert sent and ``--settle`` seconds
        passed, or ``--timeout``; then the cycle's figures into ``result``."""
        deadline = time.time() + self._args.timeout
        while time.time() < deadline:
            self.sample()
            if self._done():
                break
            if any(p.poll() is not None for p in self._processes):
                result.problems.append("an instance ended by itself")
                break
            time.sleep(SAMPLE_EVERY)
        if self.unfetched:
            result.problems.append(
                f"{len(self.unfetched)} feeds never fetched in {self._args.timeout:g} s"
            )

    def sample(self) -> None:
        now = time.time()
        self.cpu.append((now, cpu_now(self._processes)))
        self.owners.update(socket_owners(self._processes, self._args.port))
        new = self._log.read()
        self.fetches += new
        self.unfetched -= {f.path for f in new}
        if self.cycle_end is None and not self.unfetched:
            self.cycle_end = max(f.at for f in self.fetches)
        calls = self._api.calls("sendMessage")
        for call in calls[self._calls :]:
            found = DISPATCH.search(str(call.params.get("text", ""))) if call.ok else None
            if found is None:
                self.others += call.ok
                continue
            alert = (int(call.params["chat_id"]), int(found[1]))
            self.alerts.append(alert)
            self.first_seen.setdefault(alert, now)
        self._calls = len(calls)

    def _done(self) -> bool:
        expected = self._args.chats * sum(map(matches, range(self._args.feeds)))
        if self.cycle_end is None or len(self.first_seen) < expected:
            return False
        return time.time() >= max(self.cycle_end, *self.first_seen.values()) + self._args.settle

    def count(self, result: Run) -> None:
        first_fetch: dict[str, float] = {}
        for fetch in self.fetches:
            first_fetch.setdefault(fetch.path, fetch.at)
        per_path = Counter(f.path for f in self.fetches)
        result.fetches = len(self.fetches)
        result.fetched_twice = sum(1 for n in per_path.values() if n > 1)
        by_instance = Counter(self.owners.get(f.port, 0) for f in self.fetches)
        result.share = [by_instance[n] for n in range(1, result.instances + 1)]
        result.unattributed = by_instance[0]
        result.lost = result.expected - len(self.first_seen)
        result.doubled = len(self.alerts) - len(self.first_seen)
        result.latency = [
            seen - first_fetch[feed_path(feed)] for (_, feed), seen in self.first_seen.items()
        ]
        if self.others:
            result.problems.append(f"{self.others} messages sent that are not alerts")
        start = min(first_fetch.values(), default=None)
        if start is None:
            return
        if self.cycle_end is not None:
            result.cycle = self.cycle_end - start
            before = [c for at, c in self.cpu if at <= start] or [self.cpu[0][1]]
            after = [c for at, c in self.cpu if at >= self.cycle_end] or [self.cpu[-1][1]]
            result.cycle_cpu = after[0] - before[-1]
        if result.lost == 0:
            result.delivered_in = max(self.first_seen.values()) - start


def socket_owners(processes: list[subprocess.Popen[bytes]], server_port: int) -> dict[int, int]:
    """Client port -> instance number (from 1), for the connections to the feed server."""
    inodes: dict[str, int] = {}
    for number, process in enumerate(processes, 1):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{process.pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{process.pid}/fd/{fd}")
                    if link.startswith("socket:["):
                        inodes[link[8:-1]] = number
    server = f"0100007F:{server_port:04X}"
    found: dict[int, int] = {}
    with open("/proc/net/tcp", encoding="ascii") as table:
        next(table)
        for line in table:
            columns = line.split()
            if columns[2] == server and columns[9] in inodes:
                found[int(columns[1].split(":")[1], 16)] = inodes[columns[9]]
    return found


def stop(processes: list[subprocess.Popen[bytes]], result: Run) -> None:
    """SIGTERM to every instance; their exit codes and CPU time (parse workers included)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                result.cpu += usage.ru_utime + usage.ru_stime
                break
            time.sleep(0.05)
        else:
            process.kill()
            process.wait()
            result.problems.append(f"instance pid {process.pid} did not stop in 30 s: killed")
        result.exits.append(process.returncode)


def problems(log: Path, number: int) -> list[str]:
    """ERROR lines and tracebacks (each with its last line) in an instance's log, then its
    warnings, counted by kind (numbers left out)."""
    found = []
    warnings: Counter[str] = Counter()
    in_traceback = False
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if in_traceback and not line.startswith(" "):
            found.append(f"instance {number}:   {line[:300]}")
            in_traceback = False
        if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
            found.append(f"instance {number}: {line[:300]}")
            in_traceback = line.startswith("Traceback")
        elif " WARNING " in line:
            warnings[re.sub(r"\d+", "N", line.split(" WARNING ", 1)[1])[:200]] += 1
    for kind, count in warnings.most_common():
        found.append(f"instance {number}: {count} x WARNING {kind}")
    return found


@contextlib.contextmanager
def _folder(keep: str | None, prefix: str) -> Iterator[Path]:
    """A folder for a run's config and logs: under ``keep`` (left there), else temporary."""
    if keep is not None:
        Path(keep).mkdir(parents=True, exist_ok=True)
        yield Path(tempfile.mkdtemp(prefix=prefix, dir=keep))
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


def quiet(wait: float) -> None:
    """Wait up to ``wait`` seconds for the machine to be nearly idle (other work on it
    slows both settings, unevenly), and say how long that took."""
    began = time.monotonic()
    while True:
        before = cpu_now([]).machine
        time.sleep(3)
        busy = (cpu_now([]).machine - before) / 3
        waited = time.monotonic() - began
        if busy < QUIET:
            if waited > 4:
                print(f"(waited {waited:.0f} s for the machine to be quiet)", flush=True)
            return
        if waited >= wait:
            print(f"(the machine is busy: {busy:.1f} cores in use by others; starting anyway)")
            return


QUIET = 0.25  # cores in use by other processes below which the machine counts as idle


# ---------------------------------------------------------------- the report


def report(runs: dict[int, list[Run]], args: Namespace) -> None:
    cycles: dict[int, float | None] = {}
    work: dict[int, float | None] = {}
    for instances, done in runs.items():
        print(f"\n{instances} instance{'s' * (instances > 1)}, {len(done)} run(s):")
        for n, run in enumerate(done, 1):
            print(f"  run {n}: {_lines(run, args)}")
            for problem in run.problems:
                print(f"    ! {problem}")
        cycles[instances] = _median([r.cycle for r in done])
        work[instances] = _median([r.cycle_cpu.instances for r in done])
        print(
            f"  median: cycle {_seconds(cycles[instances])}, fetches per feed "
            f"{statistics.median(r.fetches for r in done) / args.feeds:.3f}, all alerts sent "
            f"{_seconds(_median([r.delivered_in for r in done]))} after the first fetch, "
            f"instances' CPU during the cycle {_seconds(work[instances])}"
        )
    every = [r for done in runs.values() for r in done]
    print()
    one, many = cycles.get(1), cycles.get(args.instances)
    if one and many:
        print(
            f"cycle time, {args.instances} instances / 1 instance: {many / one:.2f} "
            f"(target <= 1.20; {os.cpu_count()} cores)"
        )
    one, many = work.get(1), work.get(args.instances)
    if one and many:
        print(f"instances' CPU for the cycle, {args.instances} / 1: {many / one:.2f}")
    once = all(r.fetches == args.feeds and not r.fetched_twice for r in every)
    exact = all(r.lost == 0 and r.doubled == 0 for r in every)
    clean = all(set(r.exits) == {0} for r in every)
    print(f"every feed fetched exactly once in every run: {'yes' if once else 'NO'}")
    print(f"no alert lost or doubled in any run: {'yes' if exact else 'NO'}")
    print(f"every instance exited 0 on SIGTERM: {'yes' if clean else 'NO'}")
    busy = max(_others(r) / r.cycle_cpu.machine for r in every if r.cycle_cpu.machine)
    if busy > BUSY:
        print(
            f"! other processes used up to {busy:.0%} of the machine's CPU during a cycle: "
            "the times are not those of a machine of its own"
        )


BUSY = 0.2  # share of the machine's CPU that other processes may use before a warning


def _lines(run: Run, args: Namespace) -> str:
    share = "/".join(map(str, run.share)) + (
        f" (+{run.unattributed} unattributed)" if run.unattributed else ""
    )
    latency = (
        f"median {statistics.median(run.latency):.1f} s, max {max(run.latency):.1f} s"
        if run.latency
        else "n/a"
    )
    used = run.cycle_cpu
    return (
        f"cycle {_seconds(run.cycle)}, {run.fetches} fetches "
        f"({run.fetches / args.feeds:.3f} per feed, {run.fetched_twice} feeds more than "
        f"once), by instance {share}\n"
        f"    alerts {run.expected - run.lost} of {run.expected}: lost {run.lost}, doubled "
        f"{run.doubled}; all sent {_seconds(run.delivered_in)} after the first fetch; "
        f"from a feed's fetch to its alert: {latency}\n"
        f"    CPU during the cycle: instances {used.instances:.1f} s "
        f"({1000 * used.instances / args.feeds:.1f} ms per feed), PostgreSQL "
        f"{used.postgres:.1f} s, other processes {_others(run):.1f} s, of "
        f"{(run.cycle or 0) * (os.cpu_count() or 1):.0f} s the machine had\n"
        f"    instances' CPU in all (start to stop, parse workers included) {run.cpu:.1f} s; "
        f"database: {run.transactions / args.feeds:.1f} transactions per feed, "
        f"{run.sessions} sessions; exit codes {run.exits}"
    )


def _others(run: Run) -> float:
    used = run.cycle_cpu
    return used.machine - used.instances - used.postgres


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known and len(known) == len(values) else None


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


class Namespace(argparse.Namespace):
    feeds: int
    entries: int
    instances: int
    runs: int
    chats: int
    per_host: int
    settle: float
    timeout: float
    quiet_wait: float
    serve_log: str | None
    keep: str | None
    port: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--entries", type=int, default=4, help="entries per feed")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--runs", type=int, default=1, help="runs of each setting")
    parser.add_argument("--chats", type=int, default=2, help="chats subscribed")
    parser.add_argument("--per-host", type=int, default=16, help="polling.per_host")
    parser.add_argument(
        "--settle",
        type=float,
        default=20.0,
        help="seconds to go on watching after the cycle and the delivery (fetches twice "
        "would come by then: cluster.failover is 15 s)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="bound on one run")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="seconds to wait, before each run, for other processes to leave the CPU",
    )
    parser.add_argument("--keep", help="keep each run's config and logs in this folder")
    parser.add_argument("--serve-log", help=argparse.SUPPRESS)  # the feed server's process
    args = parser.parse_args(namespace=Namespace())
    if args.serve_log:
        serve(args.feeds, args.entries, Path(args.serve_log))
        return
    began = time.monotonic()
    runs: dict[int, list[Run]] = defaultdict(list)
    with (
        _folder(args.keep, "feeds-") as folder,
        feed_server(args.feeds, args.entries, folder) as (port, log),
    ):
        args.port = port
        print(
            f"{args.feeds} feeds x {args.entries} entries on 127.0.0.1:{port}, "
            f"{sum(map(matches, range(args.feeds)))} matching, {args.chats} chats"
        )
        for instances in (1, args.instances):
            for n in range(args.runs):
                quiet(args.quiet_wait)
                run = run_once(instances, port, log, args)
                print(
                    f"{instances} instance(s), run {n + 1}: cycle {_seconds(run.cycle)}, "
                    f"{run.fetches} fetches, {len(run.problems)} problem(s)",
                    flush=True,
                )
                runs[instances].append(run)
    report(runs, args)
    print(f"\nthe benchmark took {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
