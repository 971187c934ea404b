"""Writing what a user asks to export, to a path they typed: checked first, written atomically.

The TUI's export dialog (and any script) calls :func:`check_output_path` while the user
types, then one ``write_*`` function; each returns an :class:`ExportResult` saying what was
written where. The content itself comes from the modules that own it:
:func:`toolkit.ruleset.export.export` (JSON, Markdown, SQL, dbt), :meth:`Ruleset.dumps` (YAML),
:meth:`Scorecard.to_sql` (the model as SQL), :mod:`toolkit.segments.audience` (customer lists).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from toolkit.errors import SegkitError
from toolkit.data.files import atomic_write_text
from toolkit.schema import ID_COLUMN

RULESET_FORMATS = {"yaml": ".yaml", "json": ".json", "markdown": ".md", "sql": ".sql"}
"""Ruleset export formats and the file extension each gets by default."""
EXTENSIONS = {
    "yaml": (".yaml", ".yml"), "json": (".json",), "markdown": (".md", ".markdown"),
    "sql": (".sql",), "csv": (".csv",), "parquet": (".parquet", ".pq"),
}


@dataclass
class ExportResult:
    path: Path
    what: str            # "ruleset as SQL (duckdb)", "audience of champions", ...
    bytes: int
    rows: int | None = None

    def summary(self) -> str:
        rows = f"{self.rows:,} customers, " if self.rows is not None else ""
        return f"Wrote {self.what} to {self.path} ({rows}{self.bytes:,} bytes)"


def check_output_path(path: str | os.PathLike, formats: Sequence[str] | None = None,
                      *, overwrite: bool = True) -> Path:
    """``path`` as a :class:`Path` if a file can be written there, else a :class:`SegkitError`.

    Checks: not empty, not a folder, the folder it goes in is a folder (created on write
    when missing), and with ``formats`` the extension suits one of them.
    """
    text = str(path).strip()
    if not text:
        raise SegkitError("give a file name")
    p = Path(os.path.expanduser(text))
    if text.endswith(("/", os.sep)) or p.is_dir():
        raise SegkitError(f"{p} is a folder; add a file name")
    for parent in p.parents:
        if parent.exists():
            if not parent.is_dir():
                raise SegkitError(f"{parent} is a file, so {p} cannot be created")
            if not os.access(parent, os.W_OK):
                raise SegkitError(f"cannot write in {parent} (permission denied)")
            break
    if formats:
        allowed = [e for f in formats for e in EXTENSIONS.get(f, ())]
        if p.suffix.lower() not in allowed:
            raise SegkitError(f"{p.name}: the file name should end in {' or '.join(allowed)}")
    if not overwrite and p.exists():
        raise SegkitError(f"{p} already exists")
    return p


def format_of(path: str | os.PathLike, choices: Sequence[str]) -> str:
    """The format among ``choices`` that ``path``'s extension names."""
    suffix = Path(path).suffix.lower()
    for f in choices:
        if suffix in EXTENSIONS.get(f, ()):
            return f
    raise SegkitError(f"{Path(path).name}: unknown extension; use "
                      + " or ".join(e for f in choices for e in EXTENSIONS.get(f, ())[:1]))


def default_name(fmt: str, stem: str) -> str:
    """``stem`` with the usual extension of ``fmt``."""
    return stem + EXTENSIONS[fmt][0]


def write_ruleset(ruleset, fmt: str, path: str | os.PathLike, *, dialect: str = "duckdb",
                  frame=None, table: str = "customers", id_column: str = ID_COLUMN,
                  run: str | os.PathLike | None = None,
                  data: str | os.PathLike | None = None) -> ExportResult:
    """The ruleset as YAML, JSON, Markdown (sizes included when ``frame`` is given) or SQL.

    SQL uses the column types of ``frame``, else of the ``run`` folder (its ``data`` or
    scorecard, :func:`toolkit.ruleset.export.column_types_for_run`), so NaN tests appear only
    on columns that may hold floats.
    """
    from toolkit.ruleset import export as ruleset_export

    fmt = fmt.lower()
    if fmt not in RULESET_FORMATS:
        raise SegkitError(f"unknown ruleset format {fmt!r}; choose one of {', '.join(RULESET_FORMATS)}")
    p = check_output_path(path, [fmt])
    if fmt == "yaml":
        text = ruleset.dumps()
        what = "the ruleset as YAML"
    else:
        types = None
        if fmt == "sql" and frame is None and run is not None:
            types = ruleset_export.column_types_for_run(run, data)
        text = ruleset_export.export(ruleset, fmt, dialect=dialect, frame=frame, table=table,
                                  id_column=id_column, column_types=types)
        what = f"the ruleset as {'SQL (' + dialect + ')' if fmt == 'sql' else fmt.capitalize()}"
    atomic_write_text(p, text)
    return ExportResult(p, what, len(text.encode("utf-8")))


def write_model_sql(scorecard, path: str | os.PathLike, *, dialect: str = "duckdb",
                    table: str = "customers") -> ExportResult:
    """The scoring model as one SQL SELECT (:meth:`Scorecard.to_sql`)."""
    p = check_output_path(path, ["sql"])
    text = scorecard.to_sql(dialect=dialect, table=table, pretty=True)
    atomic_write_text(p, text)
    return ExportResult(p, f"the model as SQL ({dialect})", len(text.encode("utf-8")))
