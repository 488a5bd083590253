"""The credit-check HTTP API, served by the workers on faust's web server."""

from __future__ import annotations

from streams.api.register import register_api

__all__ = ["register_api"]
