"""Reasons: why a row scored as it did, as ``reason_1..k`` text columns.

Reasons are the terms with the largest absolute contribution for that row, largest first
(ties: model order), written ``"feature = value (+0.82)"``: the customer's value and the
log-odds the term adds. Pairs read ``"a = 1 & b = x (-0.10)"``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

# reasons: the customer's value and the log-odds in words, by the rules of toolkit.fmt (whose
# Python twins the TUI's Customer tab uses, so both read the same)
from toolkit.fmt import signed_expr as _signed, value_expr as _value_text


def reason_columns(features: list[dict], terms: list[dict], prepared: pl.DataFrame,
                   contrib: pl.DataFrame, k: int) -> list[pl.Series]:
    """``reason_1..k`` for one chunk: the k terms with the largest |contribution| per row,
    described as ``feature = value (+0.82)``; null where fewer terms contribute anything."""
    if k == 0:
        return []
    values = contrib.to_numpy(order="c")  # rows x terms; row-major makes argmax per row fast
    n = values.shape[0]
    rows = np.arange(n)
    # top k by |contribution|: k argmax passes (argmax keeps the first of equals, so
    # ties go to the earlier term) - much cheaper than sorting every row
    magnitude = np.abs(values)
    top = np.empty((n, k), dtype=np.int64)
    for slot in range(k):
        top[:, slot] = np.argmax(magnitude, axis=1)
        magnitude[rows, top[:, slot]] = -1.0
    del magnitude
    chosen = np.take_along_axis(values, top, axis=1)  # n x k
    # describe every (row, slot) with a non-zero contribution, grouped by term so each
    # term's features are gathered and formatted once per chunk
    flat_term = top.ravel()
    wanted = np.flatnonzero(chosen.ravel() != 0)
    by_term = wanted[np.argsort(flat_term[wanted], kind="stable")]
    bounds = np.searchsorted(flat_term[by_term], np.arange(len(terms) + 1))
    pieces = []
    for t in range(len(terms)):
        lo, hi = bounds[t], bounds[t + 1]
        if lo == hi:
            continue
        rows_t = pl.Series(by_term[lo:hi] // k)
        cols = [features[f]["name"] for f in terms[t]["features"]]
        picked = prepared.select([pl.col(c).gather(rows_t) for c in cols])
        pieces.append(picked.select(_describe_expr(features, terms[t])).to_series())
    described = pl.concat(pieces) if pieces else pl.Series("d", [], dtype=pl.Utf8)
    position = np.full(n * k, -1, dtype=np.int64)  # flat (row, slot) -> index in described
    position[by_term] = np.arange(len(by_term))
    out = []
    for slot in range(k):
        where = position[slot::k]
        texts = described.gather(pl.Series(np.where(where >= 0, where, 0))) if len(described) else \
            pl.Series("d", [None] * n, dtype=pl.Utf8)
        frame = pl.DataFrame({"d": texts, "c": chosen[:, slot], "ok": where >= 0})
        out.append(frame.select(
            pl.when(pl.col("ok"))
            .then(pl.concat_str([pl.col("d"), pl.lit(" ("), _signed(pl.col("c")), pl.lit(")")]))
            .alias(f"reason_{slot + 1}")
        ).to_series())
    return out


def _describe_expr(features: list[dict], term: dict) -> pl.Expr:
    """``name = value`` for each feature of ``term``, joined by `` & ``."""
    parts: list[pl.Expr] = []
    for i, f in enumerate(term["features"]):
        feat = features[f]
        if i:
            parts.append(pl.lit(" & "))
        parts.append(pl.lit(f"{feat['name']} = "))
        parts.append(_value_text(pl.col(feat["name"]), feat["type"]))
    return pl.concat_str(parts).alias("d")
