"""Polling benchmark: newsbot's own pipeline against a plain sequential poller.

300 feeds of 40 entries are served from local HTTP servers on several loopback
addresses (127.0.0.1 .. 127.0.0.30, ten feeds each: thirty "publishers"), in a separate
process so that serving does not compete with the pollers for the interpreter.

Measured, each as a whole process (start-up included), in the same run:
  plain     sequential urllib fetch + feedparser.parse of every feed body
  newsbot   `newsbot poll` (fetch, parse, dedupe, match, store): first cycle
  newsbot   `newsbot poll` again, where every feed answers 304 Not Modified
with each process's peak memory (max RSS). Medians over --repeat runs.

    uv run python benchmarks/polling.py [--feeds 300] [--entries 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
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


def serve(feeds: int, entries: int, port: int) -> None:
    """Run the feed servers until killed (the child process of the benchmark)."""
    bodies = {f"/feed/{i}.xml": feed_body(i, entries) for i in range(feeds)}
    tags = {path: '"' + hashlib.sha256(b).hexdigest()[:16] + '"' for path, b in bodies.items()}

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


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one child process."""
    began = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{command[:4]} failed with {child.returncode}")
    return time.perf_counter() - began, usage.ru_maxrss / 1024, output


def one_round(feeds: int, port: int) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as folder:
        config = write_config(Path(folder), feeds, port)
        poll = [sys.executable, "-m", "bot", "poll", "--config", str(config), "--json"]
        plain_s, plain_mb, count = timed([sys.executable, "-c", PLAIN, *urls(feeds, port)])
        first_s, first_mb, out = timed(poll)
        again_s, again_mb, again = timed(poll)
    assert int(count) > 0 and '"status": "ok"' in out and '"not_modified"' in again, out[-500:]
    assert '"error"' not in out, out[-500:]
    return {"plain": (plain_s, plain_mb), "first": (first_s, first_mb), "304": (again_s, again_mb)}


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
        rounds = [one_round(args.feeds, port) for _ in range(args.repeat)]
    finally:
        server.kill()
        server.wait()
    report(rounds, args)


def report(rounds: list[dict[str, tuple[float, float]]], args: argparse.Namespace) -> None:
    med = {
        k: (statistics.median(r[k][0] for r in rounds), max(r[k][1] for r in rounds))
        for k in rounds[0]
    }
    print(
        f"{args.feeds} feeds x {args.entries} entries, {HOSTS} hosts, "
        f"median of {len(rounds)} runs, whole processes (start-up included)"
    )
    print(
        f"  plain sequential poller (urllib + feedparser): {med['plain'][0]:6.2f} s  "
        f"peak {med['plain'][1]:5.0f} MB"
    )
    print(
        f"  newsbot poll, first cycle:                     {med['first'][0]:6.2f} s  "
        f"peak {med['first'][1]:5.0f} MB"
    )
    print(
        f"  newsbot poll, every feed 304:                  {med['304'][0]:6.2f} s  "
        f"peak {med['304'][1]:5.0f} MB"
    )
    print(f"  first cycle / plain:  {med['first'][0] / med['plain'][0]:.2f}x  (target <= 1)")
    print(f"  304 cycle / first:    {med['304'][0] / med['first'][0]:.2f}x  (target < 0.1)")


if __name__ == "__main__":
    main()
