"""``creditflow worker``: run a stream-processing worker."""

from __future__ import annotations

import typer

from creditflow.settings import Settings

app = typer.Typer()


@app.command()
def worker(
    web_port: int | None = typer.Option(None, help="HTTP port (default CREDITFLOW_WEB_PORT)."),
    worker_id: str | None = typer.Option(None, help="Worker name (default host:port)."),
    loglevel: str = typer.Option("warning", help="faust's log level."),
) -> None:
    """Consume the input topics, keep subjects' state in Redis, send notices (Ctrl-C stops)."""
    from faust.worker import Worker

    from streams.app import create_app
    from streams.bootstrap import build_platform

    overrides = {k: v for k, v in {"web_port": web_port, "worker_id": worker_id}.items() if v}
    settings = Settings().model_copy(update=overrides)
    platform = build_platform(settings)
    faust_app = create_app(platform)
    relay = faust_app.conf.creditflow_relay
    try:
        Worker(faust_app, loglevel=loglevel).execute_from_commandline()
    finally:
        relay.stop()
