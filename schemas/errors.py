"""Errors of the event contract: identifiers, validation and encoding."""

from __future__ import annotations

from dataclasses import dataclass

from creditflow.errors import CreditflowError


class ContractError(CreditflowError, ValueError):
    """Input that does not honour the event contract.

    ``reason_code`` is stable and machine-readable (dead letters and metrics use it);
    ``field`` names the field at fault where there is one.
    """

    reason_code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, reason_code: str | None = None):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.detail = message
        if reason_code:
            self.reason_code = reason_code


class IdentifierError(ContractError):
    """A USCC or resident ID number that is not valid, or does not fit the subject kind."""

    reason_code = "invalid.identifier"


class InvalidEventError(ContractError):
    """An event whose fields break the contract; nothing of it reaches Kafka.

    ``problems`` lists every field at fault with its reason; ``field`` and ``reason_code`` are
    those of the first.
    """

    reason_code = "invalid.event"

    def __init__(self, event_name: str, problems: list[Problem]):
        first = problems[0]
        super().__init__(
            "; ".join(str(p) for p in problems), field=first.field, reason_code=first.reason_code
        )
        self.args = (f"{event_name} is invalid: {self.detail}",)
        self.event_name = event_name
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Problem:
    """One field at fault and why."""

    field: str
    reason: str
    reason_code: str = "invalid.event"
    code: str | None = None  # the national field code, e.g. CF_WSH

    def __str__(self) -> str:
        where = f"{self.field} ({self.code})" if self.code else self.field
        return f"{where}: {self.reason}"


class DecodeError(ContractError):
    """Bytes that are not a readable creditflow event."""

    reason_code = "decode.corrupt"


class UnknownSchemaError(DecodeError):
    """Single-object encoded, but with a writer-schema fingerprint this reader does not know."""

    reason_code = "decode.unknown_fingerprint"


class NotSingleObjectError(DecodeError):
    """Bytes that do not start with the Avro single-object marker ``C3 01``."""

    reason_code = "decode.not_single_object"


class EncodeError(ContractError):
    """A value that cannot be written with its schema."""

    reason_code = "encode.failed"
