"""Secrets generated per install (passwords, keys), kept in YAML files only their owner reads.

They live under ``Settings.secrets_dir`` (inside the git-ignored ``.devstack/``): nothing secret is
ever written into the repository, and each install has its own.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from creditflow.errors import ConfigurationError


def new_password() -> str:
    """256 random bits, URL-safe: no character that needs quoting in a JAAS or SCRAM option."""
    return secrets.token_urlsafe(32)


def read_mapping(path: Path, what: str, shape: str) -> dict[Any, Any]:
    """A YAML file that maps keys to values; a missing file is an empty mapping."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read the {what} {path}: {exc}") from exc
    if not isinstance(entries, dict):
        raise ConfigurationError(f"the {what} {path} must map {shape}")
    return entries


def read_secrets(path: Path) -> dict[str, str]:
    entries = read_mapping(path, "secrets file", "names to values")
    return {str(k): str(v) for k, v in entries.items()}


def ensure_secrets(
    path: Path, names: Iterable[str], make: Callable[[], str] = new_password
) -> dict[str, str]:
    """The secrets of ``names``, generating (and saving) those not there yet."""
    entries = read_secrets(path)
    missing = [name for name in names if name not in entries]
    if missing:
        entries.update({name: make() for name in missing})
        write_private(path, yaml.safe_dump(entries, sort_keys=True))
    return entries


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    tmp.replace(path)
