"""Shared helpers for the bench scripts: timing, the machine line, RESULTS.md sections."""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.data.files import atomic_write_text  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"


def best_of(repeat: int, fn):
    """Fastest of ``repeat`` calls (seconds) and the last result: noise only adds time."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line naming the machine, for every results section."""
    import polars as pl

    return (f"{platform.machine()}, {os.cpu_count()} CPUs ({cpu_model()}), Python "
            f"{platform.python_version()}, polars {pl.__version__}")


def write_section(name: str, markdown: str, path: Path = RESULTS) -> None:
    """Replace (or append) the block between ``<!-- name -->`` markers in RESULTS.md."""
    mark = f"<!-- {name} -->"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"{mark}\n{markdown.rstrip()}\n{mark}"
    pattern = re.compile(re.escape(mark) + r".*?" + re.escape(mark), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    atomic_write_text(path, text)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux ru_maxrss is in KB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
