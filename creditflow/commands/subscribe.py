"""``creditflow subscribe --department D [--feedback STATUS]``."""

from __future__ import annotations

import typer
from rich.console import Console

from creditflow.settings import Settings

console = Console(highlight=False)


def subscribe(
    department: str = typer.Option(..., "--department", "-d", help="Department id."),
    feedback: str | None = typer.Option(
        None, help="Answer each measure notice: executed, not_applicable or failed."
    ),
    note: str | None = typer.Option(None, help="Note sent with each answer."),
    timeout: float | None = typer.Option(None, help="Stop after this many idle seconds."),
    max_count: int | None = typer.Option(None, "--max", help="Stop after this many notices."),
    group: str | None = typer.Option(None, help="Consumer group (default per department)."),
) -> None:
    """Print this department's notices as they arrive (Ctrl-C stops)."""
    from consumers import DepartmentSubscriber
    from schemas.enums import FeedbackStatus
    from schemas.notices import MeasureNotified

    status = None
    if feedback is not None:
        try:
            status = FeedbackStatus(feedback.upper())
        except ValueError:
            raise typer.BadParameter(
                "must be executed, not_applicable or failed", param_hint="--feedback"
            ) from None
    with DepartmentSubscriber(department, Settings(), group_id=group) as subscriber:
        try:
            for notice in subscriber.notices(timeout=timeout, max_count=max_count):
                if isinstance(notice, MeasureNotified):
                    console.print(
                        f"{notice.occurred_at:%Y-%m-%d %H:%M:%S} [bold]{notice.action}[/] "
                        f"{notice.measure_id} {notice.measure_name} · {notice.subject_id} "
                        f"{notice.subject_name} · {notice.reason} · {notice.notice_id}"
                    )
                    if status is not None:
                        subscriber.answer(notice, status, note).result(timeout=30)
                else:
                    console.print(
                        f"{notice.occurred_at:%Y-%m-%d %H:%M:%S} [bold]FEEDBACK[/] "
                        f"{notice.implementing_department_id} {notice.status} on "
                        f"{notice.measure_id} · {notice.subject_id} · {notice.notice_id}"
                    )
        except KeyboardInterrupt:
            pass
