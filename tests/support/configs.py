"""Config files for tests: a config.yaml and its watchlists, and sample watchlists."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parent.parent.parent  # the project


def write_config(
    folder: Path,
    feeds: dict[str, str],
    watchlists: dict[str, str],
    token: str = "",
    api_url: str = "http://127.0.0.1:9",
    extra: str = "",
    parse_workers: int = 0,
    interval: str | None = "1s",
    telegram_extra: str = "",
    storage_url: str = "sqlite:///newsbot.db",
) -> Path:
    """A config.yaml and watchlists in ``folder``; returns the config path.

    Feeds parse in a thread unless ``parse_workers`` asks for worker processes, which
    take a moment to start in every test. ``extra`` goes at the end of the ``polling:``
    section and ``telegram_extra`` at the end of ``telegram:``, each as indented lines.
    """
    lists = folder / "watchlists"
    lists.mkdir(exist_ok=True)
    for name, body in watchlists.items():
        (lists / f"{name}.yaml").write_text(body, encoding="utf-8")
    feed_lines = "".join(f"  - id: {fid}\n    url: {url}\n" for fid, url in feeds.items())
    text = (
        f"telegram:\n  token: '{token}'\n  api_url: {api_url}\n  admins: [999]\n{telegram_extra}"
        f"storage:\n  url: {storage_url}\n"
        "polling:\n"
        + (f"  interval: {interval}\n" if interval else "")
        + f"  timeout: 3s\n  parse_workers: {parse_workers}\n{extra}"
        f"watchlists: watchlists\nfeeds:\n{feed_lines or '  []'}\n"
    )
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


NUCLEAR = """\
name: kz-nuclear
title: Kazakhstan nuclear power
match:
  - Rosatom OR Росатом
  - '"nuclear power plant" AND Kazakhstan'
exclude:
  - football
"""

CSTO = """\
title: CSTO & CIS
match:
  - CSTO OR CIS
"""
