"""Secured mode of the local Kafka (``CREDITFLOW_KAFKA_SECURITY=sasl``): SCRAM-SHA-256 users
and ACLs.

Users: ``admin`` (super user: the stack itself, ``topics init``), ``platform`` (the workers) and
one per department, named by its id. Passwords are generated per install into
``<devstack>/secrets/kafka-users.yaml`` (owner-only), never kept in the repository.

Least privilege (等级保护): a department writes the input topics, the feedback topic and (its
importer) the dead-letter topic, and reads only its own notice topic, in its own consumer groups
(``creditflow-department-<id>`` and ``creditflow-department-<id>.*``). The platform reads and
writes (and, for ``topics init``, creates) the topics under ``<prefix>credit.`` in the workers'
consumer groups.

The controller listener stays PLAINTEXT on loopback: the broker talks to its own controller
there as ``User:ANONYMOUS``, which must therefore be a super user (StandardAuthorizer). Clients
use the SASL listener only; the controller port is neither advertised nor meant for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaException

# confluent-kafka re-exports these from private modules without __all__, which mypy does not see.
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBinding,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)
from pydantic import SecretStr

from creditflow.admin import admin_client
from creditflow.errors import ConfigurationError, StackError
from creditflow.secretfiles import ensure_secrets
from creditflow.settings import KAFKA_USERS_FILE, Settings
from creditflow.topics import TopicNames

logger = logging.getLogger(__name__)

ADMIN = "admin"
PLATFORM = "platform"
MECHANISM = "SCRAM-SHA-256"
ITERATIONS = 8192
TIMEOUT = 30.0
Acl = tuple[ResourceType, str, ResourcePatternType, str, AclOperation]


def passwords(settings: Settings, department_ids: Iterable[str] = ()) -> dict[str, str]:
    """The password of the platform and of each department, generated on first use."""
    ids = list(department_ids)
    clash = {ADMIN, PLATFORM} & set(ids)
    if clash:
        raise ConfigurationError(f"department ids {sorted(clash)} are reserved Kafka user names")
    return ensure_secrets(settings.secrets_dir / KAFKA_USERS_FILE, [PLATFORM, *ids])


def as_admin(settings: Settings) -> Settings:
    """The settings the stack itself uses: in secured mode, logged in as the admin (with the
    configured password, e.g. Docker's KAFKA_ADMIN_PASSWORD, or the local stack's own)."""
    if settings.kafka_security != "sasl":
        return settings
    if settings.sasl_username == ADMIN and settings.sasl_password is not None:
        return settings
    path = settings.secrets_dir / KAFKA_USERS_FILE
    password = ensure_secrets(path, [ADMIN])[ADMIN]
    return settings.model_copy(
        update={
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_username": ADMIN,
            "sasl_password": SecretStr(password),
        }
    )


def broker_properties(settings: Settings, admin_password: str) -> dict[str, str]:
    """What a secured broker adds to (and overrides in) the plaintext ``server.properties``."""
    host, port, cport = "127.0.0.1", settings.kafka_port, settings.kafka_controller_port
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{ADMIN}" password="{admin_password}";'
    )
    return {
        "listeners": f"SASL_PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}",
        "advertised.listeners": f"SASL_PLAINTEXT://{host}:{port}",
        "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config": jaas,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN};User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
    }


def format_arguments(admin_password: str) -> list[str]:
    """``kafka-storage format`` arguments that create the admin user with the cluster: nobody
    could log in to create it afterwards."""
    return ["--add-scram", f"{MECHANISM}=[name={ADMIN},password={admin_password}]"]


def acls(topics: TopicNames, app_id: str, department_ids: Iterable[str]) -> list[Acl]:
    """Every ACL of the secured stack (allow rules; everything else is denied)."""
    op, rt, lit, pre = (
        AclOperation,
        ResourceType,
        ResourcePatternType.LITERAL,
        ResourcePatternType.PREFIXED,
    )
    platform = f"User:{PLATFORM}"
    rules: list[Acl] = [
        *(
            (rt.TOPIC, f"{topics.prefix}credit.", pre, platform, o)
            for o in (op.READ, op.WRITE, op.DESCRIBE, op.CREATE)
        ),
        (rt.GROUP, app_id, pre, platform, op.READ),
        (rt.GROUP, app_id, pre, platform, op.DESCRIBE),
        (rt.BROKER, "kafka-cluster", lit, platform, op.DESCRIBE),
    ]
    for department in department_ids:
        user = f"User:{department}"
        for topic in (*topics.inputs, topics.deadletter):
            rules += [
                (rt.TOPIC, topic, lit, user, op.WRITE),
                (rt.TOPIC, topic, lit, user, op.DESCRIBE),
            ]
        own = topics.notice(department)
        rules += [(rt.TOPIC, own, lit, user, o) for o in (op.READ, op.DESCRIBE)]
        group = f"creditflow-department-{department}"
        rules += [
            (rt.GROUP, group, lit, user, op.READ),
            (rt.GROUP, f"{group}.", pre, user, op.READ),
        ]
    return rules


def provision(settings: Settings, department_ids: Iterable[str]) -> None:
    """Create (or reset to the stored passwords) every user and their ACLs; idempotent."""
    ids = list(department_ids)
    admin = admin_client(as_admin(settings))
    secrets = passwords(settings, ids)
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, ITERATIONS)
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(user, info, secrets[user].encode())
        for user in (PLATFORM, *ids)
    ]
    _wait(
        "creating Kafka users", admin.alter_user_scram_credentials(upserts, request_timeout=TIMEOUT)
    )
    bindings = [
        AclBinding(resource, name, pattern, principal, "*", operation, AclPermissionType.ALLOW)
        for resource, name, pattern, principal, operation in acls(
            settings.topics, settings.app_id, ids
        )
    ]
    _wait("creating Kafka ACLs", admin.create_acls(bindings, request_timeout=TIMEOUT))
    logger.info("kafka users and %d ACLs provisioned", len(bindings))


def _wait(what: str, futures: dict[Any, Future[Any]]) -> None:
    for future in futures.values():
        try:
            future.result(timeout=TIMEOUT)
        except KafkaException as exc:
            raise StackError(f"{what} failed: {exc.args[0].str()}") from exc
