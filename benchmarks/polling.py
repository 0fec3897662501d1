"""Polling benchmark: newsbot's own pipeline against a plain poller and a bare httpx client.

300 feeds of 40 entries are served from local HTTP servers on several loopback
addresses (127.0.0.1 .. 127.0.0.30, ten feeds each: thirty "publishers"), in a separate
process so that serving does not compete with the pollers for the interpreter.

Measured in the same run, each poller in a process of its own:
  plain     sequential urllib fetch + feedparser.parse of every feed body; the whole
            process, start-up included
  bare      an httpx.AsyncClient making the 300 conditional GETs (If-None-Match, all
            answered 304) with newsbot's limits (16 at once, 2 per host) and its pool
            settings (idle connections kept 15 s): once on the connections of a first
            round of the same GETs, once more after they have expired
  newsbot   its own pipeline (fetch, parse, dedupe, match, store in SQLite), as
            `newsbot poll` runs it: from process start to the end of the first cycle
            (start-up included), then a second cycle in the same process, where every
            feed answers 304 Not Modified, on the connections the first cycle left open
            (kept 15 s); then a third, also all 304s, once those have expired: on new
            connections, as polls minutes apart find them
with the CPU time each spends per request (newsbot's first cycle: its process and its
parse workers, start-up included) and each process's peak memory (max RSS; newsbot's
parse workers are processes of their own, reported beside it, from /proc: Linux only).
Medians over --repeat runs.

    uv run python benchmarks/polling.py [--feeds 300] [--entries 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

ROOT = Path(__file__).resolve().parent.parent
HOSTS = 30
ENTRIES_SEEN = [40]  # entries per feed, as served
WORDS = (
    "Astana",
    "Tashkent",
    "Bishkek",
    "Almaty",
    "Aktau",
    "Caspian",
    "ports",
    "rail",
    "freight",
    "wheat",
    "grid",
    "tariffs",
    "solar",
    "wind",
    "uranium",
    "oil",
    "gas",
    "pipeline",
    "bank",
    "bonds",
    "inflation",
    "budget",
    "ministry",
    "election",
    "parliament",
    "summit",
    "treaty",
    "border",
    "water",
    "energy",
    "transit",
    "trade",
    "exports",
    "imports",
)
TOPICS = (
    "Rosatom signs a deal",
    "CSTO ministers meet",
    "Middle Corridor volumes grow",
    "Kazatomprom output",
    "EU sanctions package",
    "Tokayev visits Tashkent",
)


def feed_body(feed: int, entries: int) -> bytes:
    """A realistic RSS 2.0 feed; about one entry in six is on a watched topic."""
    items = []
    for n in range(entries):
        words = " ".join(WORDS[(feed * 7 + n * 3 + k) % len(WORDS)] for k in range(45))
        title = TOPICS[n % len(TOPICS)] if (feed + n) % 6 == 0 else f"{WORDS[n % 30]} news {n}"
        items.append(
            f"<item><title>{title} ({feed}-{n})</title>"
            f"<link>https://publisher{feed % HOSTS}.example/{feed}/{n}</link>"
            f"<guid>https://publisher{feed % HOSTS}.example/{feed}/{n}</guid>"
            f"<pubDate>{formatdate(1795000000 - n * 3600 - feed, usegmt=True)}</pubDate>"
            f"<description>&lt;p&gt;{words}&lt;/p&gt;</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {feed}</title><link>https://publisher.example/</link>"
        f"<description>bench</description>{''.join(items)}</channel></rss>"
    ).encode()


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def serve(feeds: int, entries: int, port: int) -> None:
    """Run the feed servers until killed (the child process of the benchmark)."""
    bodies = {f"/feed/{i}.xml": feed_body(i, entries) for i in range(feeds)}
    tags = {path: etag(body) for path, body in bodies.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body, tag = bodies.get(self.path), tags.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            fresh = self.headers.get("If-None-Match") == tag
            self.send_response(304 if fresh else 200)
            self.send_header("ETag", str(tag))
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", "0" if fresh else str(len(body)))
            self.end_headers()
            if not fresh:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    for host in range(1, HOSTS + 1):
        server = ThreadingHTTPServer((f"127.0.0.{host}", port), Handler)
        server.daemon_threads = True
        Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    time.sleep(3600)


NEWSBOT = textwrap.dedent("""
    import asyncio, multiprocessing, os, sys, time
    from pathlib import Path

    async def cycles():
        # imported here, as `newsbot` does, so parse workers do not import them again
        from bot.config import load_config
        from bot.feeds.fetch import KEEP_ALIVE
        from bot.wiring import Mode, build

        config = load_config(Path(sys.argv[1]), env={})
        async with build(config, Mode.POLL) as parts:
            first = await parts.pipeline.poll_all()
            cpu = time.process_time() + workers_cpu()  # start-up included
            print("first", sum(o.new_entries for o in first), cpu, flush=True)
            workers = workers_peak()
            kept = await timed_304(parts)
            await asyncio.sleep(KEEP_ALIVE + 1)  # the idle connections expire
            return (*kept, *await timed_304(parts), workers)

    def workers_peak():
        # The largest peak RSS of the parse workers, in MB. VmHWM belongs to the program
        # a worker started (spawn: fork, then exec), so the parent's pages it was forked
        # with do not count, as in ru_maxrss they would.
        peaks = [0.0]
        for worker in multiprocessing.active_children():
            with open(f"/proc/{worker.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)

    def workers_cpu():
        # CPU seconds the parse workers have used so far (utime + stime, in clock ticks)
        ticks = 0
        for worker in multiprocessing.active_children():
            with open(f"/proc/{worker.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    async def timed_304(parts):
        began, cpu = time.perf_counter(), time.process_time()
        outcomes = await parts.pipeline.poll_all()
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
        assert all(o.status == "not_modified" for o in outcomes), outcomes[:3]
        return took, cpu

    if __name__ == "__main__":
        print("304", *asyncio.run(cycles()), flush=True)
""")

BARE = textwrap.dedent("""
    import asyncio, json, sys, time
    from urllib.parse import urlsplit
    import httpx

    async def cycle(client, tags):
        every, hosts = asyncio.Semaphore(16), {}

        async def get(url, tag):
            host = hosts.setdefault(urlsplit(url).hostname, asyncio.Semaphore(2))
            async with host, every:
                response = await client.get(url, headers={"If-None-Match": tag})
                assert response.status_code == 304, response

        began, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(get(url, tag) for url, tag in tags.items()))
        return time.perf_counter() - began, time.process_time() - cpu

    def client():
        pool = httpx.Limits(
            max_connections=None, max_keepalive_connections=None, keepalive_expiry=15
        )
        return httpx.AsyncClient(limits=pool)

    async def main(tags):
        async with client() as bare:
            await cycle(bare, tags)  # opens the connections the next cycle keeps using
            kept = await cycle(bare, tags)
            await asyncio.sleep(16)  # the idle connections expire
            return (*kept, *await cycle(bare, tags))

    print(*asyncio.run(main(json.loads(sys.stdin.read()))))
""")

PLAIN = textwrap.dedent("""
    import sys, urllib.request, feedparser
    total = 0
    for url in sys.argv[1:]:
        with urllib.request.urlopen(url, timeout=20) as response:
            total += len(feedparser.parse(response.read()).entries)
    print(total)
""")


def urls(feeds: int, port: int) -> list[str]:
    return [f"http://127.0.0.{i % HOSTS + 1}:{port}/feed/{i}.xml" for i in range(feeds)]


def write_config(folder: Path, feeds: int, port: int) -> Path:
    lines = [f"  - id: f{i}\n    url: {url}\n" for i, url in enumerate(urls(feeds, port))]
    path = folder / "config.yaml"
    path.write_text(
        "telegram:\n  token: ''\nstorage:\n  url: sqlite:///bench.db\n"
        "polling:\n  interval: 10m\n  concurrency: 16\n  per_host: 2\n"
        f"watchlists: {ROOT / 'watchlists'}\nfeeds:\n" + "".join(lines)
    )
    return path


def timed(command: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak RSS in MB and stdout of one child process."""
    began = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    output = child.stdout.read() if child.stdout else ""
    wall = time.perf_counter() - began
    usage = _reap(child)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


def bare(feeds: int, entries: int, port: int) -> dict[str, float]:
    """The bare httpx client's 304 cycles: wall and CPU seconds, kept and new connections."""
    tags = {url: etag(feed_body(i, entries)) for i, url in enumerate(urls(feeds, port))}
    child = subprocess.run(
        [sys.executable, "-c", BARE], input=json.dumps(tags), capture_output=True, text=True
    )
    if child.returncode:
        raise SystemExit(f"the bare httpx client failed:\n{child.stderr}")
    kept, kept_cpu, new, new_cpu = map(float, child.stdout.split())
    return {"bare kept": kept, "bare kept cpu": kept_cpu, "bare new": new, "bare new cpu": new_cpu}


def newsbot(config: Path) -> dict[str, float]:
    """First cycle from process start, the 304 cycles, peak memory of newsbot and workers."""
    began = time.perf_counter()
    driver = Path(config.parent / "newsbot_poll.py")
    driver.write_text(NEWSBOT)
    child = subprocess.Popen(
        [sys.executable, str(driver), str(config)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert child.stdout is not None
    first_line = child.stdout.readline().split()
    first = time.perf_counter() - began
    _, kept, kept_cpu, new, new_cpu, workers_mb = child.stdout.readline().split()
    peak = _reap(child).ru_maxrss / 1024
    assert first_line[0] == "first" and int(first_line[1]) > 0, first_line
    return {
        "first": first,
        "first cpu": float(first_line[2]),
        "304 kept": float(kept),
        "304 kept cpu": float(kept_cpu),
        "304 new": float(new),
        "304 new cpu": float(new_cpu),
        "mb": peak,
        "workers_mb": float(workers_mb),
    }


def _reap(child: subprocess.Popen[str]) -> resource.struct_rusage:
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{child.args!r} failed with {child.returncode}")
    return usage


def one_round(feeds: int, port: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as folder:
        config = write_config(Path(folder), feeds, port)
        plain_s, plain_cpu, plain_mb, count = timed(
            [sys.executable, "-c", PLAIN, *urls(feeds, port)]
        )
        assert int(count) == feeds * ENTRIES_SEEN[0], count
        plain = {"plain": plain_s, "plain cpu": plain_cpu, "plain_mb": plain_mb}
        return {**plain, **bare(feeds, ENTRIES_SEEN[0], port), **newsbot(config)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--entries", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.feeds, args.entries, args.serve)
        return
    port = 20000 + os.getpid() % 20000
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--feeds",
            str(args.feeds),
            "--entries",
            str(args.entries),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout and server.stdout.readline().strip() == "ready"
        ENTRIES_SEEN[0] = args.entries
        rounds = [one_round(args.feeds, port) for _ in range(args.repeat)]
    finally:
        server.kill()
        server.wait()
    report(rounds, args)


def report(rounds: list[dict[str, float]], args: argparse.Namespace) -> None:
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    per = 1000 / args.feeds  # seconds for all feeds -> milliseconds per request

    def line(what: str, wall: str, cpu: str, extra: str = "") -> None:
        print(f"  {what:<52} {med[wall]:6.2f} s  {med[cpu] * per:5.2f} ms{extra}")

    print(
        f"{args.feeds} feeds x {args.entries} entries, {HOSTS} hosts, median of {len(rounds)} "
        f"runs; wall time, CPU time per request"
    )
    print("first cycle, start-up included:")
    line("plain sequential poller (urllib + feedparser)", "plain", "plain cpu")
    line(
        "newsbot (CPU: its process and parse workers)",
        "first",
        "first cpu",
        f"  peak {med['mb']:.0f} MB (+ parse workers, {med['workers_mb']:.0f} MB each; "
        f"plain: {med['plain_mb']:.0f} MB)",
    )
    print("all-304 cycle (conditional GETs, 16 at once, 2 per host):")
    line("bare httpx client, connections kept", "bare kept", "bare kept cpu")
    line("newsbot, connections kept from its first cycle", "304 kept", "304 kept cpu")
    line("bare httpx client, new connections", "bare new", "bare new cpu")
    line("newsbot, new connections", "304 new", "304 new cpu")
    first = med["first"]
    print(f"  newsbot first cycle / plain:        {first / med['plain']:.2f}x  (target <= 1)")
    for how in ("kept", "new"):
        ratio = med[f"304 {how}"] / med[f"bare {how}"]
        cpu = med[f"304 {how} cpu"] / med[f"bare {how} cpu"]
        print(
            f"  newsbot 304 cycle / bare, {how}:{' ' * (5 - len(how))}     {ratio:.2f}x  "
            f"(CPU {cpu:.2f}x; target <= 1.5)"
        )


if __name__ == "__main__":
    main()
