"""Delivery across ``kill -9``: how many alerts are lost, how many repeated.

Queues ``--alerts`` distinct alerts for each of ``--chats`` chats, starts `newsbot run`
against the fake Bot API (tests/fakebotapi.py), kills it with SIGKILL ``--kills`` times
while it is sending (each time after a further share of the messages went out),
restarts it, and lets the last run finish. Then it counts, per chat, the alerts never
delivered (lost) and the messages delivered more than once (repeated), and how many
repeats each kill caused.

    uv run python benchmarks/delivery.py [--chats 10] [--alerts 60] [--kills 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.configs import NUCLEAR, write_config  # noqa: E402
from support.fakebotapi import FakeBotAPI  # noqa: E402
from test_service import queue_alerts  # noqa: E402


def start(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10)
    parser.add_argument("--alerts", type=int, default=60)
    parser.add_argument("--kills", type=int, default=5)
    args = parser.parse_args()
    chats = tuple(1000 + n for n in range(args.chats))
    total = len(chats) * args.alerts
    stops = [signal.SIGKILL] * args.kills + [signal.SIGTERM]  # then one clean stop
    with FakeBotAPI() as api, tempfile.TemporaryDirectory() as folder:
        config = write_config(
            Path(folder), {}, {"kz-nuclear": NUCLEAR}, token=api.token, api_url=api.api_url
        )
        subprocess.run(
            [sys.executable, "-m", "bot", "feeds", "--config", str(config)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=True,
            capture_output=True,
        )
        queue_alerts(Path(folder) / "newsbot.db", args.alerts, chats)
        for chat_id in chats:
            api.add_chat(chat_id)
        bounds = []  # how many messages had been sent when each stop took effect
        began = time.monotonic()
        for number, sig in enumerate(stops, 1):
            process = start(config)
            target = total * number // (len(stops) + 1)
            api.wait_for(lambda t=target: len(api.sent()) >= t, timeout=120, what="sending")
            process.send_signal(sig)
            process.wait(timeout=30)
            bounds.append(len(api.sent()))
        process = start(config)
        api.wait_for(lambda: len(set(_texts(api))) >= total, timeout=300, what="all delivered")
        time.sleep(2)  # anything still going out would show now
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        took = time.monotonic() - began
        texts = _texts(api)
    caused = _repeats_by_stop(texts, bounds)
    lost = total - len(set(texts))
    per_kill = [sum(c.values()) for c in caused[:-1]]
    worst = max((max(c.values(), default=0) for c in caused[:-1]), default=0)
    print(
        f"{len(chats)} chats x {args.alerts} alerts = {total} alerts, "
        f"{args.kills} x kill -9 while sending, then 1 clean stop while sending"
    )
    print(
        f"{len(texts)} messages in {took:.1f} s: lost {lost}, "
        f"repeated {len(texts) - len(set(texts))}"
    )
    print(f"repeated after each kill -9: {per_kill}; most in one chat after one kill: {worst}")
    print(f"repeated after the clean stop: {sum(caused[-1].values())}")


def _repeats_by_stop(texts: list[tuple[int, str]], bounds: list[int]) -> list[Counter[int]]:
    """Per stop, per chat: messages sent before that stop and sent again after it."""
    first: dict[tuple[int, str], int] = {}
    caused: list[Counter[int]] = [Counter() for _ in bounds]
    for index, message in enumerate(texts):
        if message not in first:
            first[message] = index
            continue
        stop = next(n for n, bound in enumerate(bounds) if first[message] < bound)
        caused[stop][message[0]] += 1
    return caused


def _texts(api: FakeBotAPI) -> list[tuple[int, str]]:
    return [(m["chat_id"], m["plain_text"]) for m in api.sent()]


if __name__ == "__main__":
    main()
