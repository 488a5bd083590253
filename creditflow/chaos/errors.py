"""Errors of the fault-injection harness."""

from creditflow.errors import CreditflowError


class ChaosError(CreditflowError):
    """The harness could not run, or a phase did not finish."""
