"""Lifecycle movement: one ruleset applied to two snapshots of the same customers.

Lifecycle marketing is about who moved: champions slipping to at-risk, new customers
becoming loyal. :func:`flow` assigns every customer a segment at A (``before``) and at B
(``after``), joins the two by customer id (full outer, so nobody is dropped) and counts the
transitions: rows are the segment at A plus ``new`` (ids only in B), columns the segment at
B plus ``gone`` (ids only in A). When a ruleset has a segment whose id is ``new`` or
``gone`` (``rfm_classic`` has ``new``), the extra row or column is called ``(new)`` or
``(gone)`` instead, which no segment id can be.

All counting is done in Polars; Python only loops over segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import polars as pl

from toolkit.errors import DataError
from toolkit.ruleset.model import Ruleset, as_frame
from toolkit.ruleset.ops import require_id_column, require_rule_columns

BIGGEST_IN_JSON = 10
"""How many segment-to-segment flows :meth:`Flow.to_json` lists under ``biggest``."""


@dataclass(frozen=True)
class Move:
    """Customers who were in one segment at A and in another at B."""

    source: str
    target: str
    customers: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "customers": self.customers,
                "text": self.text}


@dataclass(frozen=True)
class Flow:
    """The transition matrix between two snapshots, and what it says in words."""

    ruleset: str
    segments: list[str]            # ruleset ids in order, the default last
    names: dict[str, str]          # id -> display name
    new: str                       # label of the row for ids only in B
    gone: str                      # label of the column for ids only in A
    matrix: dict[str, dict[str, int]]  # from -> to -> customers, every cell present
    rows_before: int
    rows_after: int

    @property
    def rows(self) -> list[str]:
        return [*self.segments, self.new]

    @property
    def columns(self) -> list[str]:
        return [*self.segments, self.gone]

    def row_total(self, source: str) -> int:
        return sum(self.matrix[source].values())

    def column_total(self, target: str) -> int:
        return sum(row[target] for row in self.matrix.values())

    @property
    def shares(self) -> dict[str, dict[str, float | None]]:
        """Row shares: of the customers in a segment at A, the share in each column at B
        (``None`` for a row nobody was in)."""
        out: dict[str, dict[str, float | None]] = {}
        for source, row in self.matrix.items():
            total = sum(row.values())
            out[source] = {t: (n / total if total else None) for t, n in row.items()}
        return out

    @property
    def stayed_share(self) -> dict[str, float | None]:
        """Per segment, the share of its customers at A still in it at B (``None`` when
        the segment had nobody at A)."""
        shares = self.shares
        return {s: shares[s][s] for s in self.segments}

    @property
    def moves(self) -> list[Move]:
        """Flows between two different segments (not new/gone), biggest first; ties keep
        the ruleset's order."""
        found = []
        for i, source in enumerate(self.segments):
            for j, target in enumerate(self.segments):
                n = self.matrix[source][target]
                if source != target and n:
                    found.append((-n, i, j, Move(source, target, n, self._say(source, target, n))))
        return [m for *_, m in sorted(found, key=lambda t: t[:3])]

    def biggest(self, n: int = 3) -> list[Move]:
        return self.moves[:n]

    def _say(self, source: str, target: str, n: int) -> str:
        a, b = self.names[source], self.names[target]
        if n == 1:
            return f"1 customer in {a} became {b}"
        return f"{n:,} {a} became {b}"

    def to_json(self, campaigns: Mapping[tuple[str, str], dict] | None = None) -> dict[str, Any]:
        """``segments``, ``matrix`` (counts, rows = from, columns = to, with new/gone),
        ``shares`` (row shares), ``stayed_share`` and ``biggest`` flows in words; each
        biggest flow carries ``campaign`` when ``campaigns`` ((from, to) -> the campaign it
        suggests, :func:`toolkit.segments.campaigns.flow_campaigns`) has it."""
        biggest = []
        for m in self.biggest(BIGGEST_IN_JSON):
            entry = m.to_json()
            if campaigns and (m.source, m.target) in campaigns:
                entry["campaign"] = dict(campaigns[(m.source, m.target)])
            biggest.append(entry)
        return {
            "ruleset": self.ruleset,
            "segments": [{"id": s, "name": self.names[s], "before": self.row_total(s),
                          "after": self.column_total(s)} for s in self.segments],
            "new": self.new,
            "gone": self.gone,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "matrix": self.matrix,
            "shares": self.shares,
            "stayed_share": self.stayed_share,
            "biggest": biggest,
        }

    @classmethod
    def from_json(cls, doc: Any, where: str = "flow.json") -> "Flow":
        """The flow a :meth:`to_json` document records (``segkit rules flow --run`` writes
        one to RUN/flow.json), checked: a hand-edited or truncated file is one
        :class:`DataError` line naming ``where`` and the key, never a KeyError later."""
        def bad(what: str) -> DataError:
            return DataError(f"{where}: not a segkit flow ({what}); write it again with "
                             "`segkit rules flow RULESET --data A --then B --run RUN`")

        if not isinstance(doc, dict):
            raise bad("not a JSON object")
        segments = doc.get("segments")
        if not isinstance(segments, list) or not segments or not all(
                isinstance(s, dict) and isinstance(s.get("id"), str) for s in segments):
            raise bad("'segments' must be a list of {id, name}")
        ids = [s["id"] for s in segments]
        names = {s["id"]: str(s.get("name") or s["id"]) for s in segments}
        new, gone = doc.get("new", "new"), doc.get("gone", "gone")
        if not isinstance(new, str) or not isinstance(gone, str) or new in ids or gone in ids:
            raise bad("'new' and 'gone' must be labels no segment has")
        matrix = doc.get("matrix")
        if not isinstance(matrix, dict):
            raise bad("no 'matrix'")
        clean: dict[str, dict[str, int]] = {}
        for source in [*ids, new]:
            row = matrix.get(source)
            if not isinstance(row, dict):
                raise bad(f"the matrix has no row {source!r}")
            clean[source] = {}
            for target in [*ids, gone]:
                n = row.get(target)
                if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                    raise bad(f"matrix[{source!r}][{target!r}] is not a count")
                clean[source][target] = n
        rows_before = sum(sum(clean[s].values()) for s in ids)  # the counts are the truth
        rows_after = sum(clean[s][t] for s in [*ids, new] for t in ids)
        return cls(ruleset=str(doc.get("ruleset") or ""), segments=ids, names=names, new=new,
                   gone=gone, matrix=clean, rows_before=rows_before, rows_after=rows_after)


def _segments_by_id(ruleset: Ruleset, frame: pl.DataFrame, id_column: str,
                     label: str) -> pl.DataFrame:
    """id and segment for every row of one snapshot, after checking its ids."""
    try:
        require_id_column(frame, id_column)
        require_rule_columns(ruleset, frame)
    except DataError as exc:
        raise DataError(f"{label}: {exc}") from None
    ids = frame.get_column(id_column)
    if ids.null_count():
        raise DataError(f"{label}: {ids.null_count():,} rows have no {id_column}; every "
                        "customer needs an id to be followed between snapshots")
    dupes = ids.filter(ids.is_duplicated()).unique(maintain_order=True)
    if dupes.len():
        shown = ", ".join(str(v) for v in dupes.head(3).to_list())
        more = f" and {dupes.len() - 3:,} more" if dupes.len() > 3 else ""
        raise DataError(f"{label}: {dupes.len():,} {id_column} values appear more than once "
                        f"({shown}{more}); a snapshot needs one row per customer")
    cols = list(dict.fromkeys([id_column, *ruleset.columns]))
    return ruleset.apply(frame.select(cols)).select(id_column, "segment")


def flow(ruleset: Ruleset, before: Any, after: Any, id_column: str) -> Flow:
    """Who moved between segments from snapshot ``before`` (A) to ``after`` (B).

    Both tables are assigned with ``ruleset`` (first match wins) and joined on
    ``id_column``; a missing id or rule column, null or duplicate ids, or ids of different
    types in the two tables are a :class:`DataError` naming the problem.
    """
    before, after = as_frame(before), as_frame(after)
    a = _segments_by_id(ruleset, before, id_column, "first snapshot (--data)")
    b = _segments_by_id(ruleset, after, id_column, "second snapshot (--then)")
    ta, tb = a.schema[id_column], b.schema[id_column]
    if ta != tb:
        raise DataError(f"{id_column} is {ta} in the first snapshot but {tb} in the second; "
                        "the ids must have the same type to be matched")
    segments = ruleset.ids
    new = "new" if "new" not in segments else "(new)"
    gone = "gone" if "gone" not in segments else "(gone)"
    joined = (a.rename({"segment": "from"})
              .join(b.rename({"segment": "to"}), on=id_column, how="full", coalesce=True)
              .select(pl.col("from").fill_null(new), pl.col("to").fill_null(gone)))
    counts = joined.group_by("from", "to").len("customers")
    grid = (pl.DataFrame({"from": [*segments, new]})
            .join(pl.DataFrame({"to": [*segments, gone]}), how="cross")
            .join(counts, on=["from", "to"], how="left")
            .with_columns(pl.col("customers").fill_null(0)))
    matrix: dict[str, dict[str, int]] = {s: {} for s in [*segments, new]}
    for source, target, n in grid.iter_rows():  # (segments + 1)^2 cells, never per customer
        matrix[source][target] = int(n)
    return Flow(ruleset=ruleset.name, segments=segments, names=ruleset.names, new=new,
                gone=gone, matrix=matrix, rows_before=before.height, rows_after=after.height)
