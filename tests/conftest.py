"""Fixtures shared by every test: settings, unique names, the CLI as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from creditflow.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """A factory of names no other test (or earlier run) uses: topics, groups, key prefixes."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A factory of loopback ports that nothing listens on (right now)."""

    def pick() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            return port

    return pick


@pytest.fixture
def cli() -> RunCli:
    """Run ``python -m creditflow ARGS`` from the project root, with extra environment."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "creditflow", *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
