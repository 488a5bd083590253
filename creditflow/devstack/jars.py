"""The jars of Apache Kafka: an existing install (KAFKA_HOME) or fetched once from Maven Central."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from creditflow.errors import StackError
from creditflow.settings import Settings

from .config import render_pom
from .paths import StackPaths, shown

logger = logging.getLogger(__name__)

POM_TEMPLATE = "kafka-pom.xml"


def kafka_libs(settings: Settings, paths: StackPaths) -> Path:
    """The directory whose ``*`` is the broker's classpath, fetching the jars if needed."""
    if settings.kafka_home is not None:
        libs = settings.kafka_home.expanduser().resolve() / "libs"
        if not any(libs.glob("kafka_*.jar")):
            raise StackError(
                f"KAFKA_HOME={settings.kafka_home} has no libs/kafka_*.jar; "
                "point it at an Apache Kafka install or unset it to fetch the jars"
            )
        return libs
    if not _complete(paths.kafka_libs, settings.kafka_version):
        fetch(settings.kafka_version, paths)
    return paths.kafka_libs


def _complete(libs: Path, version: str) -> bool:
    # The directory appears only by an atomic rename after a successful fetch; the broker jar
    # is checked as well in case someone emptied it by hand.
    return (libs / f"kafka_2.13-{version}.jar").is_file()


def fetch(version: str, paths: StackPaths) -> None:
    """Copy the runtime jars of Kafka ``version`` into ``paths.kafka_libs`` with Maven."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "mvn not found on PATH: install Maven (apt-get install maven) "
            "or set KAFKA_HOME to an Apache Kafka install"
        )
    version_dir = paths.kafka_libs.parent
    version_dir.mkdir(parents=True, exist_ok=True)
    paths.logs_dir.mkdir(parents=True, exist_ok=True)
    template = (
        resources.files("creditflow.devstack").joinpath(POM_TEMPLATE).read_text(encoding="utf-8")
    )
    logger.info("fetching the jars of Apache Kafka %s with Maven", version)
    # A fetch that fails half-way leaves only a temp dir behind, never a libs/ that looks done.
    with tempfile.TemporaryDirectory(prefix="libs-", dir=version_dir) as tmp:
        pom = Path(tmp) / "pom.xml"
        pom.write_text(render_pom(template, version), encoding="utf-8")
        out = Path(tmp) / "libs"
        _run_mvn(mvn, pom, out, paths.mvn_log, version)
        if not _complete(out, version):
            raise StackError(
                f"Maven fetched no kafka_2.13-{version}.jar; read {shown(paths.mvn_log)}"
            )
        shutil.rmtree(paths.kafka_libs, ignore_errors=True)
        out.rename(paths.kafka_libs)


def _run_mvn(mvn: str, pom: Path, out: Path, log: Path, version: str) -> None:
    command = [
        mvn,
        "-B",
        "-q",
        "-Dstyle.color=never",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={out}",
        "-DincludeScope=runtime",
    ]
    with log.open("wb") as log_out:
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=log_out, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode != 0:
        raise StackError(
            f"Maven could not fetch Apache Kafka {version} (exit code {result.returncode}); "
            f"read {shown(log)}"
        )
