"""One local SparkSession for the whole test session (starting one costs seconds).

``local[2]`` (the machine has two cores), two shuffle partitions (the test frames are small),
UTC session time, no web UI, Arrow on. The Python workers run this interpreter, so they import
the same ``toolkit``. Without Java or pyspark the tests that use ``spark`` skip (locally) or
fail (in CI, see :mod:`engine_gate`) with a reason that says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine_gate import unavailable


def _java() -> str | None:
    """The java binary Spark would start (JAVA_HOME first, as spark-submit does), if it runs."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        return None
    try:
        subprocess.run([java, "-version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return java


@pytest.fixture(scope="session")
def spark():
    """A local SparkSession shared by every Spark test; stopped at the end of the session."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        unavailable("pyspark is not installed: pip install 'segkit[spark]' (or the test extra)")
    if _java() is None:
        unavailable("Spark needs Java 17 or newer: install OpenJDK 17 "
                    "(apt-get install openjdk-17-jre-headless) or set JAVA_HOME")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("segkit-tests")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
