"""Sub-commands of the ``creditflow`` console script, one module each."""
