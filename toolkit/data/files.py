"""Atomic file writes: a reader (or a crash) never sees half a file a user cares about.

Every user-visible file goes through :func:`atomic_path`: the content is written to a fresh,
uniquely named temporary file beside the target (so two writers never share one), flushed to
disk and renamed over the target in one step. The file is created with ``open(..., 0o666)``,
so a new file follows the user's umask (0644 or 0664, readable by a team) instead of
``mkstemp``'s 0600; a file that already exists keeps its mode. A symlink is written through to
its target, so saving ``segments.yaml -> shared/rules.yaml`` updates the shared file and
keeps the link. A write that fails raises :class:`WriteError`, one line naming the path.
"""

from __future__ import annotations

import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from toolkit.errors import SegkitError

_MAX_NAME = 200  # leaves room for the temporary suffix within the usual 255-byte name limit
FRAME_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


class WriteError(SegkitError, OSError):
    """A file could not be written. A SegkitError (one line in the CLI and the TUI) and, for
    callers that catch file errors, also an OSError."""


def _error(path: str | os.PathLike, exc: OSError) -> WriteError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return WriteError(f"cannot write {os.fspath(path)}: {reason}")


def resolve_target(path: str | os.PathLike) -> Path:
    """The file a write to ``path`` must replace: ``~`` expanded, symlinks followed (also a
    link whose target does not exist yet), relative to the current folder."""
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself is still atomic
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a new temporary file beside ``path``'s real target; when the block succeeds it is
    synced and renamed over the target, when it fails it is removed and the target untouched.

    Write the content to the yielded path (any library that writes to a path works). Each
    call gets its own temporary name, so concurrent writers of one target never mix their
    bytes: the last complete file wins.
    """
    target = resolve_target(path)
    if target.is_dir():
        raise WriteError(f"cannot write {os.fspath(path)}: it is a directory")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise WriteError(f"cannot write {os.fspath(path)}: a part of the folder path is a file") from None
    except OSError as exc:
        raise _error(path, exc) from None
    tmp = target.with_name(f".{target.name[:_MAX_NAME]}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # umask applies
    except OSError as exc:
        raise _error(path, exc) from None
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))  # a replaced file keeps its mode
        except FileNotFoundError:
            pass
        os.replace(tmp, target)
    except WriteError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _error(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); returns ``path``."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def frame_format(path: str | os.PathLike) -> str:
    """'parquet' or 'csv' from an output file's extension; anything else is a user error."""
    suffix = Path(path).suffix.lower()
    if suffix not in FRAME_FORMATS:
        raise SegkitError(f"{os.fspath(path)}: unsupported output type {suffix or '(none)'!r}; "
                          "use .parquet or .csv")
    return FRAME_FORMATS[suffix]


def atomic_write_frame(path: str | os.PathLike, frame, fmt: str | None = None) -> Path:
    """Write a Polars frame to ``path`` atomically as Parquet or CSV (``fmt``, default from
    the extension), streamed to the temporary file rather than built in memory first."""
    fmt = fmt or frame_format(path)
    if fmt not in ("parquet", "csv"):
        raise SegkitError(f"unknown table format {fmt!r}; use parquet or csv")
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.write_parquet(tmp)
        else:
            frame.write_csv(tmp)
    return Path(path)


def _json_default(value):
    """numpy scalars and arrays as plain JSON; a non-finite float as null."""
    import math

    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def atomic_write_json(path: str | os.PathLike, data, *, allow_nan: bool = True) -> Path:
    """Indented JSON (numpy values converted), written atomically, ending in a newline."""
    import json

    return atomic_write_text(path, json.dumps(data, indent=2, default=_json_default,
                                              allow_nan=allow_nan) + "\n")
