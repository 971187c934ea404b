"""Skip or fail when an engine (PostgreSQL server binaries, Java for Spark) is missing.

On a developer's machine without them, the engine tests skip with a reason that says what to
install. CI sets ``SEGKIT_REQUIRE_ENGINES=1`` (see ``.ci/run``): there a missing engine is a
failure, so the exactness tests on every engine can never be skipped silently.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_ENV = "SEGKIT_REQUIRE_ENGINES"


def engines_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (in CI) the calling test or fixture with ``reason``."""
    if engines_required():
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set: engine tests must not be skipped)",
                    pytrace=False)
    pytest.skip(reason)
