"""Scoring in place: ``segkit score --run RUN --db URL --table T --into S``.

The run's scorecard (:meth:`Scorecard.to_sql`) and ruleset (:meth:`Ruleset.to_sql`) run as
one ``CREATE TABLE ... AS SELECT`` inside the database, so customers never leave it. The
result has one row per customer of ``T``::

    <id column>, purchase_probability, will_purchase[, segment]

(``segment`` when the run has a ruleset). Reasons are not written: the scorecard SQL
computes the probability only; ``segkit score --data`` and ``Scorecard.score_spark`` give
reasons.

Atomic replacement, in one transaction (PostgreSQL: REPEATABLE READ, so every check and
the scoring query see one snapshot of ``T``):

1. the checks: ``T`` exists and may be read, it has every column the scorecard and the
   ruleset read (a missing one is named), ``S`` is not ``T``, an existing ``S`` is a table
   this user may replace, and new tables may be created in ``S``'s schema; with a ruleset,
   the id column must be non-null and unique (the two queries are joined on it, and a
   duplicate would multiply rows, a null drop them);
2. ``CREATE TABLE <S's schema>.<S>__segkit_<random> AS SELECT ...``;
3. ``DROP TABLE S`` (if it exists), ``ALTER TABLE ... RENAME TO S``; ``COMMIT``.

Any failure rolls the whole transaction back: an existing ``S`` is replaced only once the
new table is complete, and no half-written table is left behind.

``will_purchase``: the SQL probability is within :func:`toolkit.sql.scorecard.probability_error_bound`
(about 1e-10) of the Polars path's, and the run's threshold *is* a probability some
validation customers have exactly (it is chosen among them), so a plain ``p >= threshold``
would flip those customers whenever the rounding went down. The SQL compares with
``threshold - bound``: it agrees with the Polars decision on every customer unless some
other customer's probability lies within twice the bound below the threshold.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from toolkit.engines.connect import Database, TableRef, column_dtypes, connect, parse_url
from toolkit.errors import SegkitError
from toolkit.rules.columns import suggest
from toolkit.run.folder import Run
from toolkit.sql.dialects import table_parts

PROBABILITY_COLUMN = "purchase_probability"
DECISION_COLUMN = "will_purchase"
SEGMENT_COLUMN = "segment"
# on top of the score-rounding bound: the engines' own double rounding (~1e-16 per step)
DOUBLE_ROUNDING_MARGIN = 1e-14

Say = Callable[[str], None]


@dataclass
class InPlaceResult:
    """What one in-place scoring did, for the CLI's summary."""

    database: str                 # the URL, password hidden
    table: str                    # the source, as resolved (schema.table)
    into: str                     # the result table, as resolved
    rows: int
    positives: int
    segments: dict[str, int] | None = None  # None: the run has no ruleset
    replaced: bool = False        # an existing --into table was replaced
    seconds: float = 0.0
    columns: list[str] = field(default_factory=list)


def decision_cut(card, precision="auto") -> float:
    """The probability the SQL compares with for ``will_purchase`` (see the module docstring)."""
    from toolkit.sql.scorecard import probability_error_bound

    return float(card.threshold) - probability_error_bound(card, precision) - DOUBLE_ROUNDING_MARGIN


def scoring_select(card, ruleset, dialect: str, table: str, *, column_types=None) -> str:
    """The ``SELECT`` of the result table (id, probability, decision[, segment]) over ``table``."""
    from toolkit.sql.dialects import get_dialect

    d = get_dialect(dialect)
    ident = d.ident
    score_sql = card.to_sql(d.name, table)
    cut = f"CAST({d.string(repr(decision_cut(card)))} AS {d.double_type})"
    idc, prob = ident(card.id_column), ident(PROBABILITY_COLUMN)
    cols = [f"__segkit_s.{idc} AS {idc}", f"__segkit_s.{prob} AS {prob}",
            f"(__segkit_s.{prob} >= {cut}) AS {ident(DECISION_COLUMN)}"]
    if ruleset is None:
        return f"SELECT {', '.join(cols)}\nFROM (\n{score_sql}\n) AS __segkit_s"
    rules_sql = ruleset.to_sql(d.name, table, card.id_column, column_types,
                               segment_column=SEGMENT_COLUMN, comments=False)
    cols.append(f"__segkit_r.{ident(SEGMENT_COLUMN)} AS {ident(SEGMENT_COLUMN)}")
    return (f"SELECT {', '.join(cols)}\nFROM (\n{score_sql}\n) AS __segkit_s\n"
            f"JOIN (\n{rules_sql}) AS __segkit_r ON __segkit_s.{idc} = __segkit_r.{idc}")


def _needed_columns(card, ruleset) -> list[tuple[str, str]]:
    """(column, who needs it) in the order they are reported."""
    out: dict[str, str] = {card.id_column: "the id column"}
    for c in card.input_columns:
        out.setdefault(c, "the scorecard")
    for c in (ruleset.columns if ruleset is not None else []):
        out.setdefault(c, "the ruleset")
    return list(out.items())


def _find_columns(db: Database, ref: TableRef, table: str, needed: list[tuple[str, str]]) -> dict[str, str]:
    """The table's columns by needed name; an error naming the first missing column."""
    have = db.columns(ref)
    found: dict[str, str] = {}
    missing = []
    for name, who in needed:
        match = next((h for h in have if db.same_name(h, name)), None)
        if match is None:
            missing.append((name, who))
        else:
            found[name] = have[match]
    if missing:
        name, who = missing[0]
        hints = suggest(name, have)
        hint = f"; did you mean {' or '.join(repr(h) for h in hints)}?" if hints else ""
        if hints and db.engine == "postgres" and any(h.lower() == name.lower() for h in hints):
            hint += " (PostgreSQL matches the names segkit writes exactly, case included)"
        more = f" ({len(missing) - 1} more missing: {', '.join(m for m, _ in missing[1:4])}" \
               f"{', ...' if len(missing) > 4 else ''})" if len(missing) > 1 else ""
        raise SegkitError(f"table {table!r} has no column {name!r}, which {who} needs{hint}{more}")
    return found


def _temp_name(into_name: str) -> str:
    # PostgreSQL cuts names at 63 bytes: keep the random part whole
    stem = into_name.encode("utf-8")[:30].decode("utf-8", "ignore")
    return f"{stem}__segkit_{uuid.uuid4().hex[:10]}"


def score_in_place(run: Run | str | os.PathLike, url: str, table: str, into: str, *,
                   progress: Say | None = None) -> InPlaceResult:
    """Score ``table`` into ``into`` inside the database at ``url`` (see the module docstring)."""
    say = progress or (lambda message: None)
    folder = Run.of(run)
    card = folder.require_scorecard()
    ruleset = folder.ruleset()
    parsed = parse_url(url)
    src_parts, into_parts = table_parts(table), table_parts(into)
    same = (lambda a, b: a.lower() == b.lower()) if parsed.engine == "duckdb" else (lambda a, b: a == b)
    if len(src_parts) == len(into_parts) and all(same(a, b) for a, b in zip(src_parts, into_parts)):
        raise SegkitError(f"--into {into!r} is the --table being scored; name a new table for the scores")
    started = time.perf_counter()
    say(f"Connecting to {parsed.display()}")
    with connect(parsed) as db:
        source = db.locate(table)
        if source is None:
            raise SegkitError(f"table {table!r} not found in {parsed.display()}"
                              + (" (PostgreSQL names are case-sensitive when quoted; segkit quotes them)"
                                 if db.engine == "postgres" and table != table.lower() else ""))
        source_name = ".".join(source.parts()[-2:])
        types = _find_columns(db, source, table, _needed_columns(card, ruleset))
        db.check_read(source, list(types))
        catalog, schema = db.target_schema(into)
        existing = db.locate(into)
        if existing is not None:
            if existing.key == source.key:
                raise SegkitError(f"--into {into!r} is the --table being scored ({source_name}); "
                                  "name a new table for the scores")
            if existing.kind != "table":
                raise SegkitError(f"--into {into!r} is a {existing.kind}, not a table; segkit replaces only "
                                  "tables it can drop (drop it or choose another name)")
            if not existing.owned:
                raise SegkitError(f"permission denied: --into {into!r} exists and belongs to another role; only "
                                  "its owner can replace it (choose another name, or ask its owner)")
        db.check_create(catalog, schema, into)

        into_name = into_parts[-1] if existing is None else existing.name
        temp = TableRef(schema, _temp_name(into_name), "table", catalog)
        final = TableRef(schema, into_name, "table", catalog)
        quoted_source = db.quoted(source)
        select = scoring_select(card, ruleset, db.dialect.name, quoted_source_name(source),
                                column_types=column_dtypes({n: types[n] for n in types}))
        idc = db.dialect.ident(card.id_column)
        with db.transaction():
            if ruleset is not None:
                rows, with_id, distinct = db.query(
                    f"SELECT COUNT(*), COUNT({idc}), COUNT(DISTINCT {idc}) FROM {quoted_source}",
                    what=f"id check on {source_name}")[0]
                if with_id < rows:
                    raise SegkitError(f"{rows - with_id:,} rows of {table!r} have no {card.id_column}: the "
                                      "scores and segments are joined on it; give every customer an id")
                if distinct < with_id:
                    raise SegkitError(f"{card.id_column} is not unique in {table!r} ({with_id - distinct:,} "
                                      "repeated ids): the scores and segments are joined on it")
            say(f"Scoring {source_name} in the database")
            db.execute(f"CREATE TABLE {db.quoted(temp)} AS\n{select}", what=f"scoring of {source_name}")
            rows, positives = db.query(
                f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {db.dialect.ident(DECISION_COLUMN)} THEN 1 ELSE 0 END), 0) "
                f"FROM {db.quoted(temp)}", what="count of the new table")[0]
            segments = None
            if ruleset is not None:
                seg = db.dialect.ident(SEGMENT_COLUMN)
                segments = {s: int(n) for s, n in db.query(
                    f"SELECT {seg}, COUNT(*) FROM {db.quoted(temp)} GROUP BY {seg}",
                    what="segment count of the new table")}
            if existing is not None:
                db.execute(f"DROP TABLE {db.quoted(final)}", what=f"replacement of {into}")
            db.execute(f"ALTER TABLE {db.quoted(temp)} RENAME TO {db.dialect.ident(into_name)}",
                       what=f"rename of the new table to {into}")
        written = db.locate(quoted_source_name(final))
        columns = list(db.columns(written)) if written is not None else []
    order = {s: i for i, s in enumerate(ruleset.ids)} if ruleset is not None else {}
    if segments is not None:
        segments = dict(sorted(segments.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    return InPlaceResult(database=parsed.display(), table=source_name, into=f"{schema}.{into_name}",
                         rows=int(rows), positives=int(positives), segments=segments,
                         replaced=existing is not None, seconds=time.perf_counter() - started,
                         columns=columns)


def quoted_source_name(source: TableRef) -> str:
    """The source as a dotted name for the SQL compilers, which quote each part themselves."""
    return ".".join(source.parts())

