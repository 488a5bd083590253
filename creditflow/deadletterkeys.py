"""The operators' dead-letter key pair, from settings or, for a local install, generated once.

Producers of dead letters need only the public key; in production set
``CREDITFLOW_DEADLETTER_PUBLIC_KEY`` on workers and importers and give
``CREDITFLOW_DEADLETTER_PRIVATE_KEY`` to operators alone.
"""

from __future__ import annotations

import logging

from creditflow.secretfiles import ensure_secrets, read_secrets
from creditflow.settings import Settings
from schemas.sealing import new_private_key, public_key_of

logger = logging.getLogger(__name__)

LOCAL_FILE = "deadletter.yaml"


def public_key(settings: Settings) -> str:
    if settings.deadletter_public_key:
        return settings.deadletter_public_key
    if settings.deadletter_private_key is not None:
        return public_key_of(settings.deadletter_private_key.get_secret_value())
    path = settings.secrets_dir / LOCAL_FILE
    local = ensure_secrets(path, ["private_key"], new_private_key)
    logger.info("dead letters of persons are sealed to the local key pair in %s", path)
    return public_key_of(local["private_key"])


def private_key(settings: Settings) -> str | None:
    """The key that opens sealed dead letters, if this install has it."""
    if settings.deadletter_private_key is not None:
        return settings.deadletter_private_key.get_secret_value()
    return read_secrets(settings.secrets_dir / LOCAL_FILE).get("private_key")
