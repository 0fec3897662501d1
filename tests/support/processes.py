"""`newsbot` as a real process, as an operator starts it: the commands tests run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent  # the project


def newsbot_env() -> dict[str, str]:
    """The environment of a test's newsbot: this checkout's package, no token variable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return env


def newsbot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``newsbot ARGS --config CONFIG`` run to its end, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        cwd=config.parent,
        env=newsbot_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


class Service:
    """One ``newsbot run`` process; its output goes to a file, readable while it runs."""

    def __init__(self, config: Path, *args: str) -> None:
        self.log = config.parent / f"run-{time.monotonic_ns()}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(config), *args],
                cwd=config.parent,
                env=newsbot_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_output(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never printed {text!r}:\n{self.output}")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal it and wait for the exit status."""
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)  # its threads' stacks, into the output
            time.sleep(1)
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"newsbot did not stop:\n{self.output}") from None

    def finish(self, timeout: float = 30) -> int:
        """Wait for it to end by itself."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"newsbot kept running:\n{self.output}") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
