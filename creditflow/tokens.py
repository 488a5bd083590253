"""Departments' API tokens: issued once in the clear, stored only as hashes.

Why plain SHA-256 and no salt or slow KDF: a token is 256 bits from ``secrets`` (not a password a
person chose), so no dictionary or brute-force attack on a leaked hash is feasible and a salt adds
nothing; a slow KDF (scrypt, PBKDF2) would only make every API call expensive and the API easy to
overload. The hashes are compared with ``hmac.compare_digest`` (constant time).

The tokens file maps department id → token hashes::

    finance:
      - sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from creditflow.departments import DepartmentRegistry
from creditflow.errors import ConfigurationError
from creditflow.secretfiles import read_mapping, write_private

PREFIX = "cft_"
SCHEME = "sha256:"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return SCHEME + hashlib.sha256(token.encode("utf-8")).hexdigest()


def read_tokens(path: Path, departments: DepartmentRegistry) -> dict[str, tuple[str, ...]]:
    """Department id → token hashes; a missing file means no tokens (every call is refused)."""
    raw = read_mapping(path, "API tokens file", "department ids to lists")
    tokens: dict[str, tuple[str, ...]] = {}
    for department, hashes in raw.items():
        if department not in departments:
            raise ConfigurationError(f"the API tokens file {path} names {department!r}: unknown")
        if not isinstance(hashes, list) or not all(
            isinstance(h, str) and h.startswith(SCHEME) and len(h) == len(SCHEME) + 64
            for h in hashes
        ):
            raise ConfigurationError(
                f"the API tokens file {path}: {department} must list 'sha256:<64 hex>' hashes"
            )
        tokens[str(department)] = tuple(hashes)
    return tokens


def issue_token(path: Path, department_id: str, departments: DepartmentRegistry) -> str:
    """A new token for ``department_id``; its hash is appended to the file, the token is not
    kept anywhere: the caller shows it once."""
    if department_id not in departments:
        raise ConfigurationError(
            f"unknown department {department_id!r}; known: {', '.join(departments.ids())}"
        )
    tokens = {d: list(h) for d, h in read_tokens(path, departments).items()}
    token = new_token()
    tokens.setdefault(department_id, []).append(token_hash(token))
    header = "# creditflow API tokens: department id -> sha256 hashes (creditflow token issue)\n"
    write_private(path, header + yaml.safe_dump(tokens, sort_keys=True))
    return token


@dataclass
class TokenRegistry:
    """The tokens file, re-read when it changes, so that a token issued while workers run is
    accepted without a restart."""

    path: Path
    departments: DepartmentRegistry
    _stamp: tuple[int, int] | None = None
    _hashes: tuple[tuple[str, bytes], ...] = ()

    def department_of(self, token: str) -> str | None:
        """The department the token belongs to, or None."""
        self._refresh()
        presented = token_hash(token).encode("ascii")
        found = None
        # No early exit: the time taken does not tell how many hashes were compared.
        for department, stored in self._hashes:
            if hmac.compare_digest(presented, stored):
                found = department
        return found

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp:
            return
        tokens = read_tokens(self.path, self.departments)
        self._hashes = tuple(
            (department, h.encode("ascii")) for department, hs in tokens.items() for h in hs
        )
        self._stamp = stamp
