"""The root of every error creditflow raises on purpose."""


class CreditflowError(Exception):
    """Base class: an error whose message tells the user what was wrong and what to do."""


class ConfigurationError(CreditflowError):
    """A setting or a configuration file is invalid."""


class StackError(CreditflowError):
    """A service of the local stack could not be installed, started or reached."""
