"""Reading config.yaml and watchlist files: bounded, strict YAML; ``${VAR}`` expansion.

Every file is at most 1 MB of UTF-8, its YAML nested at most 100 levels deep and free
of anchors and aliases, whose expansion a few lines can make exponential. Problems
are :class:`~bot.errors.ConfigError`, each naming the file (and the line, or field).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError

MAX_FILE_BYTES = 1_000_000  # config.yaml and each watchlist: real ones are a few KB
MAX_DEPTH = 100  # nesting of YAML collections
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def read_yaml(path: Path, label: str) -> Any:
    """The mapping in ``path``: at most 1 MB of UTF-8, no aliases, nested at most 100 deep."""
    text = _read_text(path, label)
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    except _Refused as exc:
        raise ConfigError([f"{label}: line {exc.line}: {exc.reason}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([f"{label}: not valid YAML: {exc}"]) from exc
    except ValueError as exc:  # a value YAML's own types refuse: a 5,000-digit int, 2024-13-01
        raise ConfigError([f"{label}: a value that cannot be read: {exc}"]) from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError([f"{label}: expected a mapping of settings at the top level"])
    return data


def _read_text(path: Path, label: str) -> str:
    if path.exists() and not path.is_file():  # a FIFO would block the read forever
        raise ConfigError([f"{label}: not a regular file"])
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError([f"{label}: cannot read: {exc.strerror or exc}"]) from exc
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError([f"{label}: larger than 1 MB; is this the right file?"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{label}: not UTF-8 text: {exc}"]) from exc


class _Refused(yaml.YAMLError):
    """YAML that is valid but refused: ``reason``, at 1-based ``line``."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases and with bounded nesting.

    A few lines of anchors and aliases expand to billions of values (a "billion
    laughs"), and deep nesting exhausts the stack: newsbot's files need neither.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            reason = f"YAML aliases (*{event.anchor}) are not accepted; write the value out"
            raise _Refused(line, reason)
        if self._depth >= MAX_DEPTH:
            raise _Refused(line, f"nested more than {MAX_DEPTH} levels deep")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def expand_env(
    value: Any, env: dict[str, str], where: tuple[int | str, ...], unset: list[tuple[str, str]]
) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string with the environment.

    ``${VAR}`` of an unset VAR becomes "" and (field, VAR) is added to ``unset``;
    ``${VAR:-default}`` gives the default when VAR is unset or empty.
    """
    if isinstance(value, str):

        def one(found: re.Match[str]) -> str:
            name, default = found[1], found[2]
            if default is not None:
                return env.get(name) or default
            if name not in env:
                unset.append((location(where), name))
            return env.get(name, "")

        return _ENV.sub(one, value)
    if isinstance(value, dict):
        return {k: expand_env(v, env, (*where, str(k)), unset) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, env, (*where, i), unset) for i, v in enumerate(value)]
    return value


def unset_problem(label: str, field: str, name: str) -> str:
    """The problem of variable ``name``, unset in ``field``, with how to fix it."""
    fix = (
        f'set it (export {name}=...) or, for console mode, write token: ""'
        if field == "telegram.token"
        else f"set it, or write ${{{name}:-default}} for a fallback"
    )
    return f"{label}: {field}: environment variable {name} is not set: {fix}"


def location(loc: tuple[int | str, ...]) -> str:
    """A field's place as written in messages: ``feeds[0].url``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"
