"""A worker's log level holds after faust has set up logging."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import faust
import pytest

from creditflow.commands.worker import quiet_worker


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.handlers = [logging.StreamHandler()]
    root.setLevel(logging.WARNING)
    yield root
    root.handlers = handlers
    root.setLevel(level)


def test_debug_records_are_not_built_at_warning_level(root: logging.Logger) -> None:
    worker = quiet_worker(
        faust.App("creditflow-test-logging", broker="kafka://localhost:1"), "warning"
    )
    worker.on_setup_root_logger(root, logging.WARNING)  # what faust does as the worker starts
    assert root.level == logging.WARNING
    assert not logging.getLogger("aiokafka.consumer.fetcher").isEnabledFor(logging.DEBUG)
