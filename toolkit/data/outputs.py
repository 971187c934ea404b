"""Check every place a command will write before it does any work.

A command that reads a customer table and writes results must never overwrite that table
(``--out`` equal to ``--data`` once destroyed it, exit 0), and must not find out only after a
25-second fit that its output folder is a file or cannot be written. :func:`check_outputs`
runs first, touches nothing, and raises one :class:`~toolkit.errors.SegkitError` naming the
problem.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Optional, Union

from toolkit.errors import SegkitError

PathLike = Union[str, "os.PathLike[str]"]


def _path(value: PathLike) -> Path:
    text = os.fspath(value)
    if not str(text).strip():
        raise SegkitError("an output path is empty; give a file or folder name")
    return Path(os.path.expanduser(text))


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when ``a`` and ``b`` name one file: the same path after ``./``, ``..`` and symlinks
    are resolved, or (when both exist) the same inode, which also catches hard links."""
    pa, pb = Path(os.path.expanduser(os.fspath(a))), Path(os.path.expanduser(os.fspath(b)))
    if os.path.realpath(pa) == os.path.realpath(pb):
        return True
    try:
        return pa.exists() and pb.exists() and os.path.samefile(pa, pb)
    except OSError:
        return False


def _check_folder_writable(folder: Path, shown: Path) -> None:
    """``folder`` exists as a writable folder, or can be created under one."""
    probe = folder
    while not probe.exists():
        if probe.is_symlink():  # a dangling link: its target's folder decides
            probe = Path(os.path.realpath(probe))
            continue
        parent = probe.parent
        if parent == probe:
            break
        probe = parent
    if not probe.is_dir():
        raise SegkitError(f"cannot write {shown}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise SegkitError(f"cannot write {shown}: no permission to write in the folder {probe}")


def check_outputs(*, inputs: Iterable[Optional[PathLike]] = (),
                  outputs: Iterable[Optional[PathLike]] = (),
                  folders: Iterable[Optional[PathLike]] = ()) -> None:
    """Raise a :class:`SegkitError` unless every output can be written without harm.

    ``outputs`` are files a command will write, ``folders`` are run folders it will write
    into, ``inputs`` are files it reads; ``None`` entries are skipped. Checked, in order: a
    run folder is not an existing file; an output file is not an existing folder; the folder
    each output goes in exists and is writable, or can be created under a writable folder
    (nothing is created here); no output is one of the inputs, also through ``./``,
    symlinks or hard links.
    """
    ins = [Path(os.path.expanduser(os.fspath(p))) for p in inputs if p is not None]
    outs = [(os.fspath(p), _path(p)) for p in outputs if p is not None]
    for folder in (_path(p) for p in folders if p is not None):
        if folder.exists() and not folder.is_dir():
            raise SegkitError(f"{folder} is a file, not a folder; give a folder name for the run")
        for given in ins:
            if folder.exists() and same_file(folder, given):
                raise SegkitError(f"{folder} is the input {given}; give another output folder")
        _check_folder_writable(folder, folder)
    for text, out in outs:
        if text.endswith(("/", os.sep)) or out.is_dir():
            raise SegkitError(f"{text} is a directory; give a file name to write")
        for given in ins:
            if same_file(out, given):
                raise SegkitError(f"the output {text} is the input file {os.fspath(given)}: "
                                  "writing it would destroy the input; choose another output file")
        _check_folder_writable(Path(os.path.realpath(out)).parent, out)
