"""Errors of the department side: publishing and importing."""

from __future__ import annotations

from creditflow.errors import CreditflowError


class PublishError(CreditflowError):
    """An event could not be handed to Kafka or was not acknowledged by it."""


class DeliveryError(PublishError):
    """Kafka did not acknowledge an event (the delivery report carried an error)."""


class ImportFileError(CreditflowError):
    """A file that cannot be imported at all: empty, unreadable, or with a wrong header."""
