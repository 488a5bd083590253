"""Errors of the benchmark."""

from creditflow.errors import CreditflowError


class BenchError(CreditflowError):
    """The benchmark could not run or a phase did not finish."""
