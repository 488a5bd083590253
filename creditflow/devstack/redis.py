"""Redis of the local stack: the OS package's ``redis-server``, on loopback, append-only file."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import redis

from creditflow.errors import StackError

from .config import LOOPBACK, redis_command
from .paths import shown
from .service import Port, Service

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.0


class RedisService(Service):
    name = "redis"
    title = "Redis"
    stop_timeout = 15.0
    external_setting = "CREDITFLOW_REDIS_URL"

    @property
    def external(self) -> bool:
        return self.settings.redis_url is not None

    @property
    def address(self) -> str:
        if self.settings.redis_url is None:
            return f"{LOOPBACK}:{self.settings.redis_port}"
        # Never show a password that may sit in the URL.
        url = urlsplit(self.settings.redis_url)
        return f"{url.hostname}:{url.port or 6379}"

    @property
    def pid_file(self) -> Path:
        return self.paths.redis_pid

    @property
    def log_file(self) -> Path:
        return self.paths.redis_log

    @property
    def out_file(self) -> Path:
        return self.paths.redis_out

    def ports(self) -> list[Port]:
        return [Port(self.settings.redis_port, "CREDITFLOW_REDIS_PORT")]

    def is_ours(self, cmdline: str) -> bool:
        # redis-server rewrites its command line to "redis-server 127.0.0.1:<port>", so the
        # pid file (ours) plus the program name is what can be checked.
        return "redis-server" in cmdline

    def answers(self) -> bool:
        client = redis.Redis.from_url(
            self.settings.redis_dsn,
            socket_timeout=PROBE_TIMEOUT,
            socket_connect_timeout=PROBE_TIMEOUT,
        )
        try:
            return bool(client.ping())
        except redis.RedisError as exc:  # includes LOADING while the AOF is replayed
            logger.debug("redis not answering yet: %s", exc)
            return False
        finally:
            client.close()

    def prepare(self) -> list[str]:
        return redis_command(self._redis_server(), self.settings, self.paths)

    def _redis_server(self) -> str:
        found = shutil.which("redis-server")
        if found is not None:
            return found
        self._install()
        found = shutil.which("redis-server")
        if found is None:
            log = shown(self.paths.apt_log)
            raise StackError(f"redis-server still not on PATH after installing it; read {log}")
        return found

    def _install(self) -> None:
        """Install Debian's redis-server package (it does not start a server by itself)."""
        if shutil.which("apt-get") is None:
            raise StackError(
                "redis-server not found and apt-get is not available: install Redis, "
                "or set CREDITFLOW_REDIS_URL to a running one"
            )
        logger.warning("redis-server not found; installing the redis-server package")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        log = self.paths.apt_log
        with log.open("wb") as out:
            for command in (
                ["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "redis-server"],
            ):
                result = subprocess.run(
                    command,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
                if result.returncode != 0:
                    raise StackError(
                        f"`{' '.join(command)}` failed (exit code {result.returncode}); "
                        f"read {shown(log)}, or set CREDITFLOW_REDIS_URL to a running Redis"
                    )
