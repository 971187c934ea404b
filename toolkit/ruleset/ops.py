"""What people do with a ruleset besides applying it: check it on data, diff two, export.

* :func:`check` -- per segment: rows its rule matches alone, rows it gets under first-match
  order, share; the overlap matrix (rows two rules both match); empty segments (match nobody)
  and unreachable ones (everyone they match is taken by earlier segments). Columns the data
  lacks are an error listing each with the closest existing name.
* :func:`diff` -- added / removed / renamed / changed-rule / reordered segments and, given
  data, how many customers move from which segment to which.
* ``export_*`` -- SQL (5 dialects), JSON (with the parsed rule tree), Markdown for marketers,
  CSV of customer -> segment, and a dbt model.

The CLI (``segkit rules ...``) only prints what these return.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from toolkit.errors import DataError, SegkitError
from toolkit.ruleset.model import APPLY_CHUNK, Ruleset, as_frame
from toolkit.rules import to_english
from toolkit.rules.columns import suggest
from toolkit.rules.nodes import (
    And, Between, Compare, Const, InList, IsMissing, Node, Not, Or, Value,
)

EXPORT_FORMATS = ("sql", "json", "markdown", "csv", "dbt")
OVERLAP_EXACT_MAX = 256
"""Up to this many segments :func:`check` counts every pair's overlap exactly."""


# ---------------------------------------------------------------------------------------
# Data helpers
# ---------------------------------------------------------------------------------------
def require_rule_columns(ruleset: Ruleset, frame: pl.DataFrame) -> None:
    """One :class:`DataError` listing every column the rules read that ``frame`` lacks."""
    missing = ruleset.missing_columns(frame.columns)
    if not missing:
        return
    parts = []
    for col in missing:
        users = [s.id for s in ruleset.segments if col in s.columns]
        hint = suggest(col, frame.columns)
        text = f"'{col}' (used by {', '.join(users)}"
        text += f"; did you mean '{hint[0]}'?)" if hint else ")"
        parts.append(text)
    raise DataError(f"the data lacks {len(missing)} column{'s' if len(missing) > 1 else ''} "
                    f"the rules of '{ruleset.name}' use: " + ", ".join(parts))


def require_id_column(frame: pl.DataFrame, id_column: str) -> None:
    if id_column not in frame.columns:
        hint = suggest(id_column, frame.columns)
        extra = f"; did you mean '{hint[0]}'?" if hint else "; pass the right name with --id"
        raise DataError(f"the data has no id column '{id_column}'{extra}")


def assign(ruleset: Ruleset, frame: Any, id_column: str = "customer_id",
           names: bool = False) -> pl.DataFrame:
    """id and segment (and ``segment_name`` with ``names``) for every row, in input order."""
    frame = as_frame(frame)
    require_id_column(frame, id_column)
    require_rule_columns(ruleset, frame)
    out = ruleset.apply(frame, name_column="segment_name" if names else None)
    cols = [id_column, "segment"] + (["segment_name"] if names else [])
    return out.select(cols)


# ---------------------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------------------
@dataclass
class SegmentCoverage:
    """How one segment fares on the data."""

    id: str
    name: str
    position: int | None  # 1-based order of evaluation; None for the default segment
    matched: int  # rows the rule matches on its own (the default: rows no rule matches)
    assigned: int  # rows that end up in the segment under first-match order
    share: float  # assigned / rows

    @property
    def taken_by_earlier(self) -> int:
        return self.matched - self.assigned


class CoverageFindings:
    """``problems`` and ``overlapping_pairs`` shared by :class:`CheckReport` and
    :class:`toolkit.ruleset.editing.LiveCoverage`: both carry ``segments`` (with ``id`` and
    ``position``), ``overlap``, ``empty`` and ``unreachable`` with the same meaning."""

    segments: list
    overlap: dict[str, dict[str, int]]
    empty: list[str]
    unreachable: list[str]

    @property
    def problems(self) -> list[str]:
        """Readable problems; empty when the ruleset is healthy on this data."""
        out = [f"segment '{s}' matches no customer" for s in self.empty]
        out += [f"segment '{s}' is unreachable: every customer it matches is taken by an "
                "earlier segment" for s in self.unreachable]
        return out

    def overlapping_pairs(self) -> list[tuple[str, str, int]]:
        """(earlier id, later id, rows both match) for pairs that overlap, biggest first.

        Reads only the pairs stored in ``overlap`` (sparse for big rulesets), never all
        segments x segments.
        """
        pos = {s.id: s.position for s in self.segments if s.position is not None}
        pairs = [(a, b, n) for a, row in self.overlap.items() if a in pos
                 for b, n in row.items() if n and b in pos and pos[a] < pos[b]]
        return sorted(pairs, key=lambda t: (-t[2], pos[t[0]], pos[t[1]]))


@dataclass
class CheckReport(CoverageFindings):
    ruleset: str
    rows: int
    segments: list[SegmentCoverage]  # in order, the default last
    overlap: dict[str, dict[str, int]]  # id -> id -> rows both rules match (diagonal: matched)
    empty: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    overlap_exact: bool = True  # False: pairs count rows the earlier segment takes (OverlapCounter)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset, "rows": self.rows,
            "segments": [{"id": s.id, "name": s.name, "position": s.position, "matched": s.matched,
                          "assigned": s.assigned, "share": s.share} for s in self.segments],
            "overlap": self.overlap, "overlap_exact": self.overlap_exact,
            "empty": self.empty, "unreachable": self.unreachable, "problems": self.problems,
        }


def check(ruleset: Ruleset, frame: Any) -> CheckReport:
    """Coverage, overlaps, empty and unreachable segments of ``ruleset`` on ``frame``.

    Raises :class:`DataError` when the data lacks columns the rules use, and a rule error
    when a rule compares a column with the wrong kind of value. Work and memory grow
    linearly in segments x rows: rules are evaluated :data:`APPLY_CHUNK` at a time, and the
    overlap matrix is exact only up to :data:`OVERLAP_EXACT_MAX` segments (see
    :class:`OverlapCounter`).
    """
    frame = as_frame(frame)
    require_rule_columns(ruleset, frame)
    ruleset.validate(frame.schema)
    rows = frame.height
    ids = [s.id for s in ruleset.segments]
    first = ruleset.match_index(frame, validate=False).to_numpy().astype(np.int64, copy=False)
    counts = np.bincount(first, minlength=len(ids) + 1)
    counter = OverlapCounter(ids, first)
    exprs = list(ruleset.rule_exprs(frame.schema).values())
    for start in range(0, len(exprs), APPLY_CHUNK):
        block = exprs[start:start + APPLY_CHUNK]
        masks = frame.select([e.alias(f"m{i}") for i, e in enumerate(block)]).to_numpy()
        counter.add(start, masks.astype(bool, copy=False).reshape(rows, len(block)))
    overlap = counter.result()
    segments = []
    for pos, s in enumerate(ruleset.segments, start=1):
        assigned = int(counts[pos - 1])
        segments.append(SegmentCoverage(s.id, s.name, pos, counter.matched[pos - 1], assigned,
                                        assigned / rows if rows else 0.0))
    d = ruleset.default
    rest = int(counts[len(ids)])
    segments.append(SegmentCoverage(d.id, d.name, None, rest, rest, rest / rows if rows else 0.0))
    empty = [s.id for s in segments if s.position is not None and s.matched == 0]
    unreachable = [s.id for s in segments if s.position is not None and s.matched > 0 and s.assigned == 0]
    return CheckReport(ruleset.name, rows, segments, overlap, empty, unreachable,
                       overlap_exact=counter.exact)


class OverlapCounter:
    """The overlap figures of :func:`check` (and the TUI's live coverage), from rule masks
    fed a block at a time.

    Up to :data:`OVERLAP_EXACT_MAX` segments: for every pair, the rows both rules match (a
    matrix product of the masks, in row blocks). Beyond that the full matrix would cost
    segments^2 x rows, so each pair counts instead the rows the later rule matches that the
    earlier segment takes under first-match order (``exact`` is then False; only pairs with
    such rows are stored). Both forms keep the diagonal (rows each rule matches alone).
    """

    ROW_BLOCK = 1 << 16  # float32 sums of 0/1 stay exact below 2^24

    def __init__(self, ids: Sequence[str], first: np.ndarray, exact: bool | None = None):
        self.ids = list(ids)
        self.first = np.asarray(first, dtype=np.int64)
        self.exact = len(self.ids) <= OVERLAP_EXACT_MAX if exact is None else exact
        self.matched: list[int] = [0] * len(self.ids)
        self._blocks: list[np.ndarray] = []
        self._taken: dict[str, dict[str, int]] = {a: {} for a in self.ids}

    def add(self, start: int, masks: np.ndarray) -> None:
        """Masks (rows x k, bool) of rules ``start .. start + k - 1``, in order."""
        k = masks.shape[1]
        sums = masks.sum(axis=0)
        for j in range(k):
            self.matched[start + j] = int(sums[j])
        if self.exact:
            self._blocks.append(masks)
            return
        n = len(self.ids)
        for j in range(k):
            pos = start + j
            taken = np.bincount(self.first[masks[:, j]], minlength=n + 1)[:pos]
            for i in np.flatnonzero(taken):
                a, b = self.ids[int(i)], self.ids[pos]
                self._taken[a][b] = self._taken[b][a] = int(taken[i])

    def result(self) -> dict[str, dict[str, int]]:
        """id -> id -> count (see the class docstring), diagonal included."""
        if not self.exact:
            for i, a in enumerate(self.ids):
                self._taken[a][a] = self.matched[i]
            return self._taken
        n = len(self.ids)
        gram = np.zeros((n, n), dtype=np.int64)
        if self._blocks:
            masks = np.concatenate(self._blocks, axis=1)
            for r in range(0, masks.shape[0], self.ROW_BLOCK):
                m = masks[r:r + self.ROW_BLOCK].astype(np.float32)
                gram += np.rint(m.T @ m).astype(np.int64)
        return {a: {b: int(gram[i, j]) for j, b in enumerate(self.ids)} for i, a in enumerate(self.ids)}


# ---------------------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------------------
@dataclass
class RulesetDiff:
    a: str
    b: str
    added: list[str] = field(default_factory=list)  # ids only in b
    removed: list[str] = field(default_factory=list)  # ids only in a
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old name, new name)
    changed_rules: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old, new)
    changed_text: list[tuple[str, str]] = field(default_factory=list)  # (id, 'description'|'campaign')
    order_a: list[str] = field(default_factory=list)
    order_b: list[str] = field(default_factory=list)
    default_changed: bool = False  # the default segment's id differs
    transitions: pl.DataFrame | None = None  # from, to, customers (all pairs, biggest first)
    rows: int | None = None

    @property
    def reordered(self) -> bool:
        """Whether segments present in both are checked in a different order."""
        common = set(self.order_a) & set(self.order_b)
        return [i for i in self.order_a if i in common] != [i for i in self.order_b if i in common]

    @property
    def moved(self) -> int | None:
        """Customers whose segment changes (None without data)."""
        if self.transitions is None:
            return None
        t = self.transitions.filter(pl.col("from") != pl.col("to"))
        return int(t["customers"].sum()) if t.height else 0

    @property
    def identical(self) -> bool:
        """No change that can alter a segment's members or what a person reads."""
        return not (self.added or self.removed or self.renamed or self.changed_rules
                    or self.changed_text or self.reordered or self.default_changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b, "added": self.added, "removed": self.removed,
            "renamed": [list(t) for t in self.renamed],
            "changed_rules": [list(t) for t in self.changed_rules],
            "changed_text": [list(t) for t in self.changed_text],
            "reordered": self.reordered, "default_changed": self.default_changed,
            "rows": self.rows, "moved": self.moved,
            "transitions": None if self.transitions is None else self.transitions.to_dicts(),
        }


def diff(a: Ruleset, b: Ruleset, frame: pl.DataFrame | None = None) -> RulesetDiff:
    """What changed from ``a`` to ``b``; with ``frame``, who moves between segments.

    Rules are compared as parsed trees, so spacing or keyword case changes are not changes.
    """
    out = RulesetDiff(a.name, b.name, order_a=[s.id for s in a.segments],
                      order_b=[s.id for s in b.segments])
    a_by = {s.id: s for s in a.segments}
    b_by = {s.id: s for s in b.segments}
    out.added = [i for i in b_by if i not in a_by]
    out.removed = [i for i in a_by if i not in b_by]
    for sid, sa in a_by.items():
        sb = b_by.get(sid)
        if sb is None:
            continue
        if sa.name != sb.name:
            out.renamed.append((sid, sa.name, sb.name))
        if sa.node != sb.node:
            out.changed_rules.append((sid, sa.rule, sb.rule))
        for key in ("description", "campaign"):
            if (getattr(sa, key) or "") != (getattr(sb, key) or ""):
                out.changed_text.append((sid, key))
    out.default_changed = a.default.id != b.default.id
    if a.default.name != b.default.name and not out.default_changed:
        out.renamed.append((a.default.id, a.default.name, b.default.name))
    if frame is not None:
        require_rule_columns(a, frame)
        require_rule_columns(b, frame)
        sa_col = a.apply(frame).get_column("segment")
        sb_col = b.apply(frame).get_column("segment")
        out.rows = frame.height
        out.transitions = (pl.DataFrame({"from": sa_col, "to": sb_col})
                           .group_by("from", "to").len(name="customers")
                           .sort(["customers", "from", "to"], descending=[True, False, False]))
    return out


# ---------------------------------------------------------------------------------------
# export
# ---------------------------------------------------------------------------------------
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
               id_column: str = "customer_id", column_types: Any = None) -> str:
    """One SELECT returning the id and ``segment`` (see :meth:`Ruleset.to_sql`)."""
    header = f"-- segkit ruleset: {_one_line(ruleset.name)} ({dialect}); first matching rule wins\n"
    return header + ruleset.to_sql(dialect, table, id_column, column_types)


_DBT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def export_dbt(ruleset: Ruleset, dialect: str = "duckdb", ref: str = "customers",
               id_column: str = "customer_id", column_types: Any = None) -> str:
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


def export_csv(ruleset: Ruleset, frame: pl.DataFrame, id_column: str = "customer_id") -> str:
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
           table: str = "customers", id_column: str = "customer_id", ref: str = "customers",
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
    types decided as :func:`toolkit.io.load_table` decides them)."""
    from toolkit.io import csv_schema, table_format

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
    from toolkit import runs

    run = runs.require_run(run_dir)
    for path in (data, run / runs.DATA):
        if path is not None and Path(path).is_file():
            return data_column_types(path)
    card = runs.load_json(run, runs.SCORECARD)
    if not card or not isinstance(card.get("features"), list):
        return None
    kinds = {"nominal": pl.String, "continuous": pl.Float64}
    return {f["name"]: kinds[f["type"]] for f in card["features"]
            if isinstance(f, dict) and f.get("type") in kinds and isinstance(f.get("name"), str)}


def ruleset_sql_for_run(run_dir: str | Path, ruleset: Ruleset, dialect: str = "duckdb", *,
                        data: str | Path | None = None, table: str = "customers",
                        id_column: str = "customer_id") -> str:
    """The ruleset as SQL with the run's column types (see :func:`column_types_for_run`)."""
    return export_sql(ruleset, dialect, table, id_column, column_types_for_run(run_dir, data))


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()
