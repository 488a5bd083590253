"""A worker's entry in the local Prometheus' file-based service discovery (``file_sd_configs``).

Each worker writes one file, ``<dir>/<worker>.json``, when it starts and removes it on a clean
shutdown, so that several workers on different ports are scraped separately and a stopped worker
is no alarm. A worker that dies without shutting down leaves its file: Prometheus goes on
scraping it, ``up`` turns 0 and CreditflowWorkerDown fires, which is the point.

Registration is opt-in by the directory: ``creditflow stack up`` creates it when it runs
Prometheus; where it does not exist (Docker, no local Prometheus) nothing is written.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

logger = logging.getLogger(__name__)

# Addresses a server binds to accept connections from anywhere; Prometheus, on loopback,
# reaches such a worker on loopback.
WILDCARDS = {"", "0.0.0.0", "::"}


def target_address(bind: str, port: int) -> str:
    host = "127.0.0.1" if bind in WILDCARDS else bind
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def target_document(address: str, worker: str) -> list[dict[str, object]]:
    """The file_sd content: one target with the worker's name as a label."""
    return [{"targets": [address], "labels": {"worker": worker}}]


def target_file(directory: Path, worker: str) -> Path:
    # Worker names look like host:port; keep file names portable.
    return directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '-', worker)}.json"


def register(directory: Path, worker: str, address: str) -> Path | None:
    """Write this worker's target file; None when the directory does not exist or is not
    writable (registration is for the local stack only and never stops a worker)."""
    if not directory.is_dir():
        logger.debug("no scrape-target directory %s; not registering", directory)
        return None
    path = target_file(directory, worker)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        # Written then renamed: Prometheus watches the directory and must never read half a file.
        tmp.write_text(json.dumps(target_document(address, worker)), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        logger.warning("could not register %s for Prometheus in %s: %s", worker, directory, exc)
        return None
    logger.info("registered %s (%s) for Prometheus in %s", worker, address, path)
    return path


def deregister(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("could not remove the scrape target %s: %s", path, exc)
