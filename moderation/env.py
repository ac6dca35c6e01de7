"""Small typed readers for settings taken from the environment, and the local `.env` file.

Each reader fails loudly with ImproperlyConfigured on a value it does not understand, so a
typo in a deployment ("ture", "O") never silently turns a flag the wrong way.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def load_env_file(path: Path) -> list[str]:
    """Set the variables of a `.env` file (`NAME=value` lines, `#` comments) that the
    environment does not already set, and return their names. A missing file sets nothing.

    `make run` writes `.env` for local use (debug on, a random secret key) and only
    `manage.py` reads it, so every command in the README works as written after `make run`,
    while a server started through wsgi.py/asgi.py keeps the strict production defaults.
    Variables set in the environment always win over the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    loaded = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise ImproperlyConfigured(f"{path}: line {number}: expected NAME=value, got {raw!r}")
        if name not in os.environ:
            os.environ[name] = value.strip()
            loaded.append(name)
    return loaded
