"""``creditflow kafka provision``: Kafka users and ACLs of the secured mode."""

from __future__ import annotations

import typer
from rich.console import Console

from creditflow.settings import Settings

app = typer.Typer(help="Kafka access control (CREDITFLOW_KAFKA_SECURITY=sasl).")
console = Console(highlight=False)


@app.command()
def provision() -> None:
    """Create the platform's and each department's SCRAM user and their ACLs (idempotent).

    Logs in as the admin (CREDITFLOW_SASL_USERNAME=admin and CREDITFLOW_SASL_PASSWORD, or the
    local stack's generated admin); new passwords go to <devstack>/secrets/kafka-users.yaml.
    """
    from creditflow.departments import load_departments
    from creditflow.devstack import security
    from creditflow.errors import ConfigurationError

    settings = Settings()
    if settings.kafka_security != "sasl":
        raise ConfigurationError("set CREDITFLOW_KAFKA_SECURITY=sasl to provision Kafka users")
    ids = load_departments(settings.departments_file).ids()
    security.provision(settings, ids)
    console.print(
        f"{len(ids) + 1} Kafka users and their ACLs are in place; passwords in "
        f"{settings.secrets_dir / 'kafka-users.yaml'}"
    )
