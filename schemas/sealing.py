"""Sealing bytes that hold personal information to the operators' key (dead letters).

Hybrid public-key encryption: an ephemeral X25519 key agreement with the operators' public key,
HKDF-SHA256 to an AES-256-GCM key, then AES-GCM over the bytes. Whoever writes dead letters
(workers, a department's importer) needs only the public key; only operators who hold the private
key can open them again, so nothing is lost and nobody else reads the person's data.

Sealed form: ``CFSEAL1`` + ephemeral public key (32 bytes) + nonce (12 bytes) + ciphertext.
"""

from __future__ import annotations

import base64
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from stdnum.cn import ric

from schemas.errors import ContractError

MARK = b"CFSEAL1"
_INFO = b"creditflow dead letter v1"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw
#: 18 characters that may be a resident ID number, not inside a longer run of digits.
_RESIDENT_ID = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


class SealError(ContractError):
    """A key or sealed value that cannot be used."""

    reason_code = "seal.invalid"


def new_private_key() -> str:
    """A new operators' key, base64 (keep it secret; give out ``public_key_of`` it)."""
    raw = X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode("ascii")


def _private(key_b64: str) -> X25519PrivateKey:
    try:
        return X25519PrivateKey.from_private_bytes(base64.b64decode(key_b64, validate=True))
    except ValueError as exc:
        raise SealError("the dead-letter private key is not 32 bytes of base64") from exc


def _public(key_b64: str) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_public_bytes(base64.b64decode(key_b64, validate=True))
    except ValueError as exc:
        raise SealError("the dead-letter public key is not 32 bytes of base64") from exc


def public_key_of(private_b64: str) -> str:
    return base64.b64encode(_private(private_b64).public_key().public_bytes(*_RAW)).decode()


def _aead(shared: bytes, ephemeral: bytes) -> AESGCM:
    key = HKDF(hashes.SHA256(), 32, salt=ephemeral, info=_INFO).derive(shared)
    return AESGCM(key)


def seal(public_b64: str, data: bytes) -> bytes:
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes(*_RAW)
    nonce = os.urandom(12)
    aead = _aead(ephemeral.exchange(_public(public_b64)), ephemeral_raw)
    return MARK + ephemeral_raw + nonce + aead.encrypt(nonce, data, MARK)


def is_sealed(data: bytes | None) -> bool:
    return data is not None and data.startswith(MARK)


def unseal(private_b64: str, sealed: bytes) -> bytes:
    """The original bytes; SealError if they were not sealed to this key or were altered."""
    if not is_sealed(sealed):
        raise SealError("not a sealed value")
    body = sealed[len(MARK) :]
    ephemeral_raw, nonce, ciphertext = body[:32], body[32:44], body[44:]
    try:
        peer = X25519PublicKey.from_public_bytes(ephemeral_raw)
        aead = _aead(_private(private_b64).exchange(peer), ephemeral_raw)
        return aead.decrypt(nonce, ciphertext, MARK)
    except (ValueError, InvalidTag) as exc:
        raise SealError("the sealed value does not open with this key") from exc


def holds_resident_id(*values: bytes | None) -> bool:
    """Whether any of the bytes contain a valid 居民身份证号码 (e.g. a legal representative's, or
    a person's in a row that could not be decoded far enough to know its subject kind)."""
    for value in values:
        if value and any(ric.is_valid(m.decode().upper()) for m in _RESIDENT_ID.findall(value)):
            return True
    return False
