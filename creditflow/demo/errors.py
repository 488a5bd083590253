"""Errors of the demo."""

from creditflow.errors import CreditflowError


class DemoError(CreditflowError):
    """The demo could not run, or its end state disagrees with what it sent."""
