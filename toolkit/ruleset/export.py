"""A ruleset as text for other tools: SQL (every dialect), dbt, JSON, Markdown, CSV.

* ``export_*`` -- SQL (one ``SELECT``; dialects: :mod:`toolkit.sql.dialects`), JSON
  (with the parsed rule tree), Markdown for marketers, CSV of customer -> segment, and a
  dbt model; :func:`export` picks one by name (the CLI's ``segkit rules export``).
* :func:`column_types_for_run` / :func:`ruleset_sql_for_run` -- the SQL with the column
  types of a run's data, so NaN tests appear only on columns that may hold floats.

Writing these texts to files (checked paths, atomic writes) is :mod:`toolkit.exports`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping

import polars as pl

from toolkit.errors import DataError, SegkitError
from toolkit.rules import to_english
from toolkit.rules.nodes import (
    And, Between, Compare, Const, InList, IsMissing, Node, Not, Or, Value,
)
from toolkit.ruleset.model import Ruleset
from toolkit.ruleset.ops import assign, check
from toolkit.schema import ID_COLUMN

EXPORT_FORMATS = ("sql", "json", "markdown", "csv", "dbt")


def node_to_dict(node: Node) -> dict[str, Any]:
    """The rule tree as plain JSON data (for tools in other languages)."""
    def val(v: Value) -> Any:
        return v.value

    if isinstance(node, Compare):
        return {"op": node.op, "column": node.column, "value": val(node.value)}
    if isinstance(node, InList):
        return {"op": "not in" if node.negated else "in", "column": node.column,
                "values": [val(v) for v in node.values]}
    if isinstance(node, Between):
        return {"op": "not between" if node.negated else "between", "column": node.column,
                "low": val(node.low), "high": val(node.high)}
    if isinstance(node, IsMissing):
        return {"op": "is not missing" if node.negated else "is missing", "column": node.column}
    if isinstance(node, Const):
        return {"op": "const", "value": node.value}
    if isinstance(node, Not):
        return {"op": "not", "operand": node_to_dict(node.operand)}
    if isinstance(node, And):
        return {"op": "and", "operands": [node_to_dict(n) for n in node.operands]}
    if isinstance(node, Or):
        return {"op": "or", "operands": [node_to_dict(n) for n in node.operands]}
    raise TypeError(f"not a rule node: {node!r}")


def export_json(ruleset: Ruleset) -> str:
    """The ruleset as JSON; each segment also carries its parsed rule tree under ``ast``."""
    prov = {k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v))
            for k, v in ruleset.provenance.as_dict().items()}
    data = {
        "format": "segkit-ruleset/1",
        "name": ruleset.name,
        "description": ruleset.description,
        "provenance": prov,
        "segments": [{"id": s.id, "name": s.name, "description": s.description, "rule": s.rule,
                      "campaign": s.campaign, "columns": s.columns, "ast": node_to_dict(s.node)}
                     for s in ruleset.segments],
        "default": {"id": ruleset.default.id, "name": ruleset.default.name,
                    "description": ruleset.default.description,
                    "campaign": ruleset.default.campaign},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def export_sql(ruleset: Ruleset, dialect: str = "duckdb", table: str = "customers",
               id_column: str = ID_COLUMN, column_types: Any = None) -> str:
    """One SELECT returning the id and ``segment`` (see :meth:`Ruleset.to_sql`)."""
    header = f"-- segkit ruleset: {_one_line(ruleset.name)} ({dialect}); first matching rule wins\n"
    return header + ruleset.to_sql(dialect, table, id_column, column_types)


_DBT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def export_dbt(ruleset: Ruleset, dialect: str = "duckdb", ref: str = "customers",
               id_column: str = ID_COLUMN, column_types: Any = None) -> str:
    """A dbt model: ``{{ config(materialized='table') }}`` and the SELECT over a dbt relation.

    ``ref`` names the upstream model (``{{ ref('customers') }}``); ``source_name.table``
    (with a dot) uses ``{{ source('source_name', 'table') }}`` instead. Every ``{`` coming
    from the ruleset is written as ``{{ '{' }}`` so no rule text can inject Jinja.
    """
    parts = ref.split(".")
    if len(parts) not in (1, 2) or not all(_DBT_NAME.match(p) for p in parts):
        raise SegkitError(f"bad dbt model name {ref!r}: use a model name (customers) or "
                          "source_name.table_name")
    relation = (f"{{{{ ref('{parts[0]}') }}}}" if len(parts) == 1
                else f"{{{{ source('{parts[0]}', '{parts[1]}') }}}}")
    marker = "__SEGKIT_DBT_RELATION__"
    body = ruleset.to_sql(dialect, id_column=id_column, column_types=column_types, from_sql=marker)
    body = body.replace("{", "{{ '{' }}")
    body = body.replace(f"FROM {marker}", f"FROM {relation}")
    head = ("{{ config(materialized='table') }}\n\n"
            f"-- segkit ruleset {_one_line(ruleset.name).replace('{', '(')} as a dbt model "
            "(first matching rule wins).\n"
            "-- Generated by `segkit rules export --format dbt`; edit the ruleset, not this file.\n")
    return head + body


def export_csv(ruleset: Ruleset, frame: pl.DataFrame, id_column: str = ID_COLUMN) -> str:
    """``id,segment`` for every customer of ``frame``, in input order."""
    return assign(ruleset, frame, id_column).write_csv()


def _md(text: str) -> str:
    """Text safe in a Markdown table cell."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
            .replace("<", "&lt;").replace(">", "&gt;").strip())


def _fence(text: str) -> str:
    runs = [len(m) for m in re.findall(r"`+", text)] or [0]
    return "`" * max(3, max(runs) + 1)


def export_markdown(ruleset: Ruleset, frame: pl.DataFrame | None = None) -> str:
    """A one-page summary for marketers: who is in each segment, in order, and what to send.

    With ``frame`` the table also gives each segment's number of customers and share.
    """
    report = check(ruleset, frame) if frame is not None else None
    sizes = {s.id: s for s in report.segments} if report else {}
    lines = [f"# Segments: {_md(ruleset.name)}", ""]
    if ruleset.description:
        lines += [_md(ruleset.description), ""]
    known = dict(ruleset.provenance.facts())
    facts = [f"{k}: {known[k]}" for k in ("source", "created", "fidelity", "stability")
             if k in known]
    lines += ["_" + _md(", ".join(facts)) + "_", "",
              "Each customer belongs to the **first** segment whose rule matches; customers no rule "
              f"matches are in **{_md(ruleset.default.name)}**. A rule on a missing value is false.", ""]
    head = "| # | Segment | Who | Campaign |"
    sep = "|---|---|---|---|"
    if report:
        head += " Customers | Share |"
        sep += "---:|---:|"
    lines += [head, sep]
    for i, s in enumerate(ruleset.segments, start=1):
        who = to_english(s.node)
        if s.description:
            who = f"{s.description} ({who})"
        row = f"| {i} | **{_md(s.name)}** | {_md(who)} | {_md(s.campaign or '')} |"
        if report:
            c = sizes[s.id]
            row += f" {c.assigned:,} | {c.share:.1%} |"
        lines.append(row)
    d = ruleset.default
    row = f"| - | **{_md(d.name)}** | {_md(d.description or 'Everyone else')} | {_md(d.campaign or '')} |"
    if report:
        c = sizes[d.id]
        row += f" {c.assigned:,} | {c.share:.1%} |"
    lines.append(row)
    lines += ["", "## Exact rules", ""]
    for s in ruleset.segments:
        fence = _fence(s.rule)
        lines += [f"- **{_md(s.name)}** (`{s.id}`)", "", f"  {fence}", *(f"  {ln}" for ln in s.rule.strip().splitlines()), f"  {fence}", ""]
    if report and report.problems:
        lines += ["## Problems found on the data", ""] + [f"- {_md(p)}" for p in report.problems] + [""]
    return "\n".join(lines).rstrip() + "\n"


def export(ruleset: Ruleset, fmt: str, *, dialect: str = "duckdb", frame: pl.DataFrame | None = None,
           table: str = "customers", id_column: str = ID_COLUMN, ref: str = "customers",
           column_types: Mapping[str, Any] | None = None) -> str:
    """Dispatch on ``fmt`` (one of :data:`EXPORT_FORMATS`); ``csv`` needs ``frame``.

    SQL and dbt take column types from ``frame`` or, without it, from ``column_types``
    (e.g. :func:`column_types_for_run`): NaN tests only where a column may hold floats.
    """
    fmt = fmt.lower()
    types = frame.schema if frame is not None else column_types
    if fmt == "sql":
        return export_sql(ruleset, dialect, table, id_column, types)
    if fmt == "json":
        return export_json(ruleset)
    if fmt in ("markdown", "md"):
        return export_markdown(ruleset, frame)
    if fmt == "csv":
        if frame is None:
            raise SegkitError("the csv export lists every customer's segment: give the data with --data")
        return export_csv(ruleset, frame, id_column)
    if fmt == "dbt":
        return export_dbt(ruleset, dialect, ref, id_column, types)
    raise SegkitError(f"unknown export format '{fmt}'; choose one of {', '.join(EXPORT_FORMATS)}")


def data_column_types(path: str | Path) -> dict[str, Any]:
    """Column types of a customer table file without reading its rows (Parquet footer; CSV
    types decided as :func:`toolkit.data.io.load_table` decides them)."""
    from toolkit.data.io import csv_schema, table_format

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: file not found")
    if table_format(p) == "csv":
        return csv_schema(p)
    try:
        return dict(pl.read_parquet_schema(p))
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(f"{p}: could not read the Parquet file ({str(exc).splitlines()[0]})") from None


def column_types_for_run(run_dir: str | Path, data: str | Path | None = None) -> dict[str, Any] | None:
    """The column types a run's ruleset SQL should assume, so NaN tests go only where needed.

    The schema of ``data`` when given, else of the run's ``data.parquet``; without either,
    the scorecard's features: categories are text (no NaN test), numbers may be floats (NaN
    test kept, since the scorecard does not record integer vs float). None when the run has
    none of these.
    """
    from toolkit.run import folder as runs

    run = runs.Run.of(run_dir)
    for path in (data, run.file(runs.DATA)):
        if path is not None and Path(path).is_file():
            return data_column_types(path)
    card = run.json(runs.SCORECARD)
    if not card or not isinstance(card.get("features"), list):
        return None
    kinds = {"nominal": pl.String, "continuous": pl.Float64}
    return {f["name"]: kinds[f["type"]] for f in card["features"]
            if isinstance(f, dict) and f.get("type") in kinds and isinstance(f.get("name"), str)}


def ruleset_sql_for_run(run_dir: str | Path, ruleset: Ruleset, dialect: str = "duckdb", *,
                        data: str | Path | None = None, table: str = "customers",
                        id_column: str = ID_COLUMN) -> str:
    """The ruleset as SQL with the run's column types (see :func:`column_types_for_run`)."""
    return export_sql(ruleset, dialect, table, id_column, column_types_for_run(run_dir, data))


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()
