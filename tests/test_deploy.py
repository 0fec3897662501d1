"""The deployment files, checked as far as they can be without Docker or systemd running.

The Dockerfile's own ``uv sync`` commands run in a clean copy of the project (what git
holds, as a build context would), in the order and the folders of the build, and the
installed ``newsbot`` then checks the configuration the containers of compose.yaml get.
compose.yaml and deploy/newsbot.service are read for what operators rely on.
The whole file takes about 25 s with uv's cache (PyPI without it); every step is bounded.
"""

from __future__ import annotations

import configparser
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.configs import ROOT

STEP_TIMEOUT = 180  # seconds for one install step or command; a hang fails, never blocks CI
TOKEN = "123456789:AAtest-token-for-the-deployment-check"
PASSWORD = "s3cret-db-password"


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.partition(" ") for line in lines)
        if word and not word.startswith("#")
    ]


def uv_syncs() -> list[list[str]]:
    """The ``uv sync`` commands of the build stage, in order, without the mounts."""
    runs = [args for word, args in dockerfile() if word == "RUN" and "uv sync" in args]
    return [shlex.split(args[args.index("uv sync") :]) for args in runs]


def env(instruction_args: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(instruction_args))


def image_env() -> dict[str, str]:
    """Every ENV of the Dockerfile, later stages overriding earlier ones."""
    found: dict[str, str] = {}
    for word, args in dockerfile():
        if word == "ENV":
            found |= env(args)
    return found


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def newsbots() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose()["services"].items() if n.startswith("newsbot")}


def unit() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(ROOT / "deploy" / "newsbot.service")
    return parser["Service"]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the project's virtual environment or uv settings."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "NEWSBOT_", "TELEGRAM_")) and k != "VIRTUAL_ENV"
    }
    return kept | extra


def run(args: list[str], cwd: Path, environment: dict[str, str]) -> str:
    done = subprocess.run(
        args,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{shlex.join(args)}: {done.returncode}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/app of the build stage: the Dockerfile's installs into a clean copy of HEAD."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    app = tmp_path_factory.mktemp("build") / "app"
    app.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=STEP_TIMEOUT,
    ).stdout
    first, second = uv_syncs()
    # The build's settings, on the interpreter running the tests instead of the image's.
    settings = {k: v for k, v in image_env().items() if k.startswith("UV_")}
    environment = clean_env(**settings, UV_PYTHON=sys.executable)
    for name in ("pyproject.toml", "uv.lock"):  # the first step sees only these two
        shutil.copy(ROOT / name, app / name)
    run([uv, *first[1:]], app, environment)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:  # COPY . /app
        tar.extractall(app, filter="data")
    run([uv, *second[1:]], app, environment)
    return app


def test_the_image_installs_from_the_lock_without_dev_dependencies() -> None:
    first, second = uv_syncs()
    assert first[:2] == ["uv", "sync"]
    assert {"--locked", "--no-dev", "--no-install-project"} <= set(first)
    assert {"--locked", "--no-dev"} <= set(second)
    assert "--no-install-project" not in second
    assert image_env()["UV_COMPILE_BYTECODE"] == "1"


def test_the_image_runs_newsbot_run_as_a_user_on_the_environments_path() -> None:
    instructions = dockerfile()
    (cmd,) = [json.loads(args) for word, args in instructions if word == "CMD"]
    assert cmd == ["newsbot", "run"]
    users = [args for word, args in instructions if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert image_env()["PATH"].startswith("/app/.venv/bin:")
    text = (ROOT / "Dockerfile").read_text()
    assert "TELEGRAM_BOT_TOKEN=" not in text and "ARG TELEGRAM" not in text


def test_the_installed_entry_point_checks_the_containers_config(
    installed: Path, tmp_path: Path
) -> None:
    newsbot = installed / image_env()["PATH"].split(":")[0].removeprefix("/app/") / "newsbot"
    service = newsbots()["newsbot-1"]
    for volume in service["volumes"]:  # the mounts, under tmp_path instead of /
        source, target, mode = volume.split(":")
        assert mode == "ro"
        copy = shutil.copytree if (installed / source).is_dir() else shutil.copy
        (tmp_path / target.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        copy(installed / source, tmp_path / target.lstrip("/"))
    config = image_env()["NEWSBOT_CONFIG"]
    assert service["environment"]["NEWSBOT_CONFIG"] == config
    environment = clean_env(
        NEWSBOT_CONFIG=str(tmp_path / config.lstrip("/")),
        TELEGRAM_BOT_TOKEN=TOKEN,
        DATABASE_URL=f"postgresql://newsbot:{PASSWORD}@postgres:5432/newsbot",
    )
    work = tmp_path / "var" / "lib" / "newsbot"
    work.mkdir(parents=True)
    report = run([str(newsbot), "check"], work, environment)
    assert re.search(r"OK: \d+ feeds, \d+ watchlists, \d+ rules; Telegram", report)
    assert TOKEN not in report and PASSWORD not in report
    # The package as installed carries its data: sample feeds, migrations, catalogs.
    demo = run([str(newsbot), "demo"], work, environment)
    assert re.search(r"\d+ feeds, \d+ entries, [1-9]\d* matched", demo)


def test_compose_runs_newsbot_on_one_postgresql_database_once_it_is_healthy() -> None:
    services = compose()["services"]
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert set(newsbots()) == {"newsbot-1", "newsbot-2"}
    urls = {s["environment"]["DATABASE_URL"] for s in newsbots().values()}
    (url,) = urls
    assert url.startswith("postgresql://") and "@postgres:" in url
    for service in newsbots().values():
        assert service["build"] == "."
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    storage = yaml.safe_load((ROOT / "deploy" / "config.yaml").read_text())["storage"]
    assert storage["url"] == "${DATABASE_URL}"


def test_compose_starts_both_instances_which_coordinate_through_the_database() -> None:
    assert all("profiles" not in s for s in newsbots().values())


def test_compose_holds_no_secret() -> None:
    text = (ROOT / "compose.yaml").read_text()
    for service in compose()["services"].values():
        for name, value in service.get("environment", {}).items():
            if "TOKEN" in name or "PASSWORD" in name:
                assert str(value).startswith("${"), name
    assert not re.search(r"\d{6,}:[\w-]{30,}", text)  # a Telegram token's shape
    assert not re.search(r"postgresql://[^:]+:[^$@]+@", text)  # a password in a URL


def test_the_systemd_unit_runs_the_installed_newsbot_as_its_own_user() -> None:
    service = unit()
    program, command = service["ExecStart"].split()
    assert program == service["WorkingDirectory"] + "/.venv/bin/newsbot"
    assert command == "run"
    assert service["User"] not in ("root", "0")
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"].startswith("/etc/")
    assert "TELEGRAM_BOT_TOKEN" not in service.get("Environment", "")
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == "/var/lib/" + service["StateDirectory"]
    assert service["PrivateTmp"] == "yes"


def test_systemd_accepts_the_unit(installed: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = (ROOT / "deploy" / "newsbot.service").read_text()
    # verify wants the program to exist: the one just installed stands in for /opt/newsbot's.
    program = unit()["ExecStart"].split()[0]
    copy = tmp_path / "newsbot.service"
    copy.write_text(text.replace(program, str(installed / ".venv" / "bin" / "newsbot")))
    done = subprocess.run(
        [analyze, "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "newsbot.service" not in done.stderr, done.stderr  # no warning about the unit
