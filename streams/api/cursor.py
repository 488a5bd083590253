"""Opaque, tamper-proof page cursors.

A cursor holds the position of the last item of a page: its score and member in a Redis sorted
set. Members are subject ids, so a cursor in the clear would hand out a natural person's full ID
number with every page of a list that shows it masked; it is encrypted (AES-GCM) instead, bound
to the page it belongs to (the list, or the department and status of notices).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from streams.api.errors import bad_request


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(hashlib.sha256(b"creditflow cursor\0" + secret.encode()).digest())

    def encode(self, scope: str, score: float, member: str) -> str:
        nonce = os.urandom(12)
        plain = json.dumps([score, member], separators=(",", ":")).encode()
        sealed = nonce + self._aead.encrypt(nonce, plain, scope.encode())
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def decode(self, scope: str, cursor: str) -> tuple[float, str]:
        """The (score, member) of a cursor this API gave out for ``scope``; 400 otherwise."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            plain = self._aead.decrypt(raw[:12], raw[12:], scope.encode())
            score, member = json.loads(plain)
            if isinstance(score, int | float) and isinstance(member, str):
                return float(score), member
        except (ValueError, binascii.Error, InvalidTag, TypeError):
            pass
        raise bad_request("invalid_cursor", "the cursor is not one this API gave for this page")
