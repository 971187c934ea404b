"""Clusters -> readable rules: an imodels tree turned into an ordered ruleset.

The tree: ``imodels.GreedyTreeClassifier`` (CART grown best-first with ``max_leaf_nodes``)
predicts the cluster from the ORIGINAL columns in their own units, so every threshold is a
value a marketer recognises (days, orders, dollars), never a scaled number. Measured on the
180K sample (``bench/bench_segments.py``, held-out fidelity / fit time): this CART with
ordered rules 0.970 / ~1 s; HSTree with the same budget 0.965 (hierarchical shrinkage only
re-weights leaf predictions, which rarely changes a leaf's majority cluster); FIGS with 12
rules 0.967 but it is a *sum* of trees, with no single "if ... then segment" path per
customer; a depth-3 CART (the naive way to get 3-condition paths) 0.740.

Ordered rules with at most ``max_conditions`` (3) conditions per path. A *condition* is the
constraint on one column along a path: a range (``x between 3 and 9``) or ``x < 10 or x is
missing`` counts once. A 12-leaf tree reaches the target fidelity but its paths need up to
7 conditions; cutting them at 3 costs a lot (0.74). Instead the ruleset is ordered (the first
matching segment wins, as :class:`toolkit.ruleset.Ruleset` evaluates it), and a path can
leave out a split whenever every leaf on the other side of that split belongs to a segment
tested earlier or to its own segment: those customers are taken before, or belong here
anyway, so the ordered rules reproduce the tree EXACTLY (tested). The order is chosen by an
exact dynamic programme over subsets of clusters (:func:`_best_order`): no path beyond the
budget if possible, then as few conditions as possible that a rule can only leave out
because of the order; the last cluster needs no rule at all and becomes the ruleset's
default segment ("everyone else"), so the cluster hardest to describe gets that role.
Dropped conditions are put back while the path stays within budget, so rules read right on
their own as far as possible. A path still over budget is cut at the node that would add
the extra column (it becomes a leaf of its majority cluster) and the order is recomputed.
Sibling leaves of one cluster are merged, and the leaves of one cluster form one segment
(an OR of paths). The leaf budget is chosen from ``[k, 1.5k, 2k, 3k]`` by fidelity on
validation rows taken from the training customers (smallest within 0.005 of the best).

Missing values: imodels refuses NaN, so a column with missing values is filled with a
sentinel below its smallest value (``floor(min) - 1``). A split between the sentinel and the
smallest value reads ``x is missing`` / ``x is not missing``; any other split puts missing
values on the low side and reads ``(x < 10 or x is missing)`` / ``x >= 10``. The rule text
is explicit about missing values, so the rule language's "comparisons are false on missing"
semantics give exactly the tree's partition. (A column with no missing value in training
that is missing later matches neither side: such a customer falls through to the default.)

Rounding: every split ``x <= t`` becomes ``x < c`` / ``x >= c`` with a cut ``c`` people
say: whole numbers for count and days columns (``floor(t) + 1`` on whole-number data, so
``x <= 2.5`` becomes ``x < 3`` exactly; ``x < 1`` on counts reads ``x == 0``), 2 significant
digits otherwise (and for whole numbers >= 100). Both children of a split use the same cut,
so the rounded tree is still a partition and the ordered-rule argument above still holds.
Rounding changes which side some customers fall on, so fidelity, cost ratio and coverage
are always measured on the ROUNDED rules, on held-out customers.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
import polars as pl

from toolkit import schema
from toolkit.rules import format_rule, to_polars
from toolkit.rules.nodes import And, Between, Compare, IsMissing, Node, Or, Value

MissingMode = Literal["exclude", "include", "only"]


# --------------------------------------------------------------------------- rounding
def round_sig(value: float, digits: int = 2) -> float:
    """``value`` to ``digits`` significant digits, halves rounded away from zero
    (0.0345 -> 0.035, as people round; 0 stays 0)."""
    if value == 0 or not math.isfinite(value):
        return value
    d = Decimal(repr(float(value)))
    exponent = d.adjusted() - digits + 1
    return float(d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP))


def _clean(value: float) -> float | int:
    """Kill float noise (0.35000000000000003 -> 0.35) and give whole numbers as int."""
    if float(value).is_integer():
        return int(value)
    return float(f"{value:.12g}")


def round_cut(threshold: float, *, whole: bool, integer_valued: bool, digits: int = 2) -> float | int:
    """The cut ``c`` that replaces a tree split ``x <= threshold`` by ``x < c`` / ``x >= c``.

    ``whole``: the column is a count or days column (schema kind): cuts are whole numbers.
    ``integer_valued``: every training value is a whole number, so ``floor(t) + 1`` is exact.
    """
    if whole:
        c = math.floor(threshold) + 1 if integer_valued else math.floor(threshold + 0.5)
        if abs(c) >= 10 ** digits:
            c = round_sig(c, digits)
        return int(c)
    return _clean(round_sig(threshold, digits))


# --------------------------------------------------------------------------- path data
@dataclass(frozen=True)
class ColumnInfo:
    """What distillation needs to know about one tree input column."""

    name: str
    whole: bool            # count/days kind: whole-number cuts
    integer_valued: bool   # all training values are whole numbers
    min: float             # smallest training value (present values)
    sentinel: float | None  # fill value for missing, None when the column had no missing


@dataclass
class Bound:
    """The constraint on one column along a path: ``low <= x < high`` and/or missing."""

    column: str
    low: float | None = None    # inclusive
    high: float | None = None   # exclusive
    missing: MissingMode = "include"  # include: missing also matches; only: x is missing

    def copy(self) -> "Bound":
        return Bound(self.column, self.low, self.high, self.missing)

    @property
    def empty(self) -> bool:
        return self.missing != "only" and self.low is not None and self.high is not None and \
            self.low >= self.high

    def to_node(self, info: ColumnInfo) -> Node | None:
        """The rule AST of this constraint (None when it constrains nothing)."""
        name = self.column
        if self.missing == "only":
            return IsMissing(name)
        num = _num_value
        if self.low is None and self.high is None:
            return None if self.missing == "include" else IsMissing(name, negated=True)
        if info.integer_valued and self.low is not None and self.high is not None:
            lo, hi = int(math.ceil(self.low)), int(math.ceil(self.high)) - 1
            core: Node = Compare(name, "==", num(lo)) if lo == hi else Between(name, num(lo), num(hi))
        elif self.low is not None and self.high is not None:
            core = And((Compare(name, ">=", num(self.low)), Compare(name, "<", num(self.high))))
        elif self.high is not None:
            if info.integer_valued and info.min >= 0 and 0 < self.high <= 1:
                core = Compare(name, "==", num(0))
            else:
                core = Compare(name, "<", num(self.high))
        else:
            core = Compare(name, ">=", num(self.low))  # type: ignore[arg-type]
        if self.missing == "include" and info.sentinel is not None:
            return Or((core, IsMissing(name)))
        return core


def _num_value(v: float | int) -> Value:
    v = _clean(float(v))
    return Value(v, "number")


@dataclass
class RulePath:
    """One leaf: its constraints (one per column, in path order) and predicted cluster."""

    bounds: list[Bound]
    cluster: int
    rows: int            # training rows in the leaf
    purity: float        # share of those rows in ``cluster``

    @property
    def conditions(self) -> int:
        return sum(1 for b in self.bounds if not (b.low is None and b.high is None and b.missing == "include"))

    def to_node(self, infos: dict[str, ColumnInfo]) -> Node:
        nodes: list[Node] = []
        for b in self.bounds:
            n = b.to_node(infos[b.column])
            if isinstance(n, And):  # a range on a fractional column: keep the AND flat
                nodes.extend(n.operands)
            elif n is not None:
                nodes.append(n)
        if not nodes:
            from toolkit.rules.nodes import Const
            return Const(True)
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def to_dict(self) -> dict:
        return {"cluster": self.cluster, "rows": self.rows, "purity": round(self.purity, 4),
                "conditions": [{"column": b.column, "low": b.low, "high": b.high, "missing": b.missing}
                               for b in self.bounds]}


@dataclass
class SegmentRules:
    """Distilled rules: clusters in evaluation order, each an OR of paths; the last is the
    default segment ("everyone else") and has no rule."""

    paths: list[RulePath]
    columns: dict[str, ColumnInfo]
    clusters: list[int]              # cluster ids in ruleset order, the default last
    default: int | None = None       # cluster of the default segment
    leaves: int = 0                  # leaves of the fitted tree (before simplification)
    settings: dict = field(default_factory=dict)

    @property
    def ordered(self) -> list[int]:
        """Clusters with an explicit rule, in evaluation order (the default excluded)."""
        return [c for c in self.clusters if c != self.default]

    def paths_of(self, cluster: int) -> list[RulePath]:
        return [p for p in self.paths if p.cluster == cluster]

    def node(self, cluster: int) -> Node | None:
        """The rule of ``cluster`` as an AST (None for the default and unknown clusters)."""
        paths = self.paths_of(cluster)
        if not paths:
            return None
        nodes = [p.to_node(self.columns) for p in paths]
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def text(self, cluster: int) -> str | None:
        node = self.node(cluster)
        return None if node is None else format_rule(node)

    @property
    def max_conditions(self) -> int:
        return max((p.conditions for p in self.paths), default=0)

    def assign(self, frame: pl.DataFrame) -> np.ndarray:
        """Per row: the cluster of the first matching segment, else the default cluster
        (-1 when there is none). Same semantics as ``Ruleset.apply``."""
        nan_cols = [c for c in self.columns if frame.schema.get(c, pl.Int64).is_float()]
        fallback = -1 if self.default is None else self.default
        expr = None
        for c in self.ordered:
            node = self.node(c)
            if node is None:
                continue
            m = to_polars(node, nan_columns=nan_cols, schema=dict(frame.schema)).fill_null(False)
            expr = pl.when(m) if expr is None else expr.when(m)
            expr = expr.then(pl.lit(c, dtype=pl.Int32))
        if expr is None:
            return np.full(frame.height, fallback, dtype=np.int32)
        out = frame.select(expr.otherwise(pl.lit(fallback, dtype=pl.Int32)).alias("s")).get_column("s")
        return out.to_numpy().astype(np.int32)

    def to_dict(self) -> dict:
        return {"order": self.clusters, "default": self.default, "leaves": self.leaves,
                "settings": self.settings,
                "rules": {str(c): self.text(c) for c in self.ordered},
                "paths": [p.to_dict() for p in self.paths]}


# --------------------------------------------------------------------------- tree -> paths
def column_infos(frame: pl.DataFrame, features: Sequence[str]) -> dict[str, ColumnInfo]:
    """Per column: whole-number cuts?, integer data?, min, and the missing-value sentinel."""
    out = {}
    stats = frame.select(
        *[pl.col(f).cast(pl.Float64).fill_nan(None).min().alias(f"{f}__min") for f in features],
        *[pl.col(f).cast(pl.Float64).fill_nan(None).is_null().any().alias(f"{f}__na") for f in features],
        *[(pl.col(f).cast(pl.Float64).fill_nan(None).drop_nulls() % 1 == 0).all().alias(f"{f}__int")
          for f in features],
    ).row(0, named=True)
    for f in features:
        col = schema.describe(f)
        lo = stats[f"{f}__min"]
        lo = 0.0 if lo is None else float(lo)
        dtype = frame.schema[f]
        integer_valued = bool(dtype.is_integer() or stats[f"{f}__int"])
        whole = bool(col.is_count if col is not None else integer_valued)
        sentinel = float(math.floor(lo) - 1) if stats[f"{f}__na"] else None
        out[f] = ColumnInfo(f, whole, integer_valued, lo, sentinel)
    return out


def tree_matrix(frame: pl.DataFrame, infos: dict[str, ColumnInfo]) -> np.ndarray:
    """The tree's input: original units, missing replaced by each column's sentinel."""
    exprs = []
    for name, info in infos.items():
        e = pl.col(name).cast(pl.Float64).fill_nan(None)
        # a column without missing in training can still meet one later: send it low
        e = e.fill_null(info.sentinel if info.sentinel is not None else math.floor(info.min) - 1)
        exprs.append(e.alias(name))
    return np.ascontiguousarray(frame.select(exprs).to_numpy(), dtype=np.float32)


def fit_tree(X: np.ndarray, y: np.ndarray, *, leaves: int, seed: int, features: Sequence[str],
             min_leaf: int | None = None, kind: str = "greedy"):
    """An imodels tree predicting the cluster; ``kind`` 'greedy' (CART) or 'hs' (HSTree)."""
    import imodels  # needs `six` (declared in pyproject)

    min_leaf = min_leaf if min_leaf is not None else max(5, int(0.002 * X.shape[0]))
    if kind == "hs":
        base = imodels.GreedyTreeClassifier(max_leaf_nodes=leaves, min_samples_leaf=min_leaf,
                                            random_state=seed)
        model = imodels.HSTreeClassifier(estimator_=base, reg_param=1.0)
        model.fit(X, y, feature_names=list(features))
        return model
    model = imodels.GreedyTreeClassifier(max_leaf_nodes=leaves, min_samples_leaf=min_leaf,
                                         random_state=seed)
    model.fit(X, y, feature_names=list(features))
    return model


def _sk_tree(model):
    return model.estimator_.tree_ if hasattr(model, "estimator_") and hasattr(model.estimator_, "tree_") \
        else model.tree_


@dataclass
class _Node:
    """A node of the (simplified) tree: a split, or a leaf predicting ``cluster``."""

    id: int
    rows: int
    counts: np.ndarray                  # class counts (or shares) at this node
    feature: str | None = None
    threshold: float | None = None
    left: "_Node | None" = None
    right: "_Node | None" = None
    cluster: int = -1
    mask: int = 0                       # bit set of the clusters of the leaves below

    @property
    def leaf(self) -> bool:
        return self.left is None


def _structure(model, features: Sequence[str]) -> _Node:
    """The fitted tree as nodes; a leaf's cluster is the argmax of its class counts."""
    tree = _sk_tree(model)
    classes = [int(c) for c in np.asarray(model.classes_)]
    value = tree.value[:, 0, :]

    def make(i: int) -> _Node:
        node = _Node(i, int(tree.n_node_samples[i]), value[i])
        if tree.children_left[i] == -1:
            return _as_leaf(node, classes)
        node.feature = features[tree.feature[i]]
        node.threshold = float(tree.threshold[i])
        node.left, node.right = make(tree.children_left[i]), make(tree.children_right[i])
        return _merge(node, classes)

    return make(0)


def _as_leaf(node: _Node, classes: list[int]) -> _Node:
    node.left = node.right = None
    node.feature = node.threshold = None
    node.cluster = classes[int(np.argmax(node.counts))]
    node.mask = 1 << node.cluster
    return node


def _merge(node: _Node, classes: list[int]) -> _Node:
    """Sibling leaves predicting the same cluster become one leaf (their parent)."""
    assert node.left is not None and node.right is not None
    if node.left.leaf and node.right.leaf and node.left.cluster == node.right.cluster:
        return _as_leaf(node, classes)
    node.mask = node.left.mask | node.right.mask
    return node


def _leaf_paths(root: _Node) -> list[tuple[_Node, list[tuple[_Node, str]]]]:
    """Every leaf with its root-to-leaf steps (split node, 'left' or 'right')."""
    out = []

    def walk(node: _Node, steps: list[tuple[_Node, str]]) -> None:
        if node.leaf:
            out.append((node, steps))
            return
        walk(node.left, steps + [(node, "left")])  # type: ignore[arg-type]
        walk(node.right, steps + [(node, "right")])  # type: ignore[arg-type]

    walk(root, [])
    return out


def _kept(steps: list[tuple[_Node, str]], cluster: int, earlier: int) -> list[tuple[_Node, str]]:
    """The steps a path still needs when the clusters in ``earlier`` are tested before it.

    A step can be dropped when every leaf on the other side of that split belongs to an
    earlier segment or to the path's own cluster: customers there are either taken by an
    earlier segment or belong to this one anyway, so the ordered rules still reproduce the
    tree exactly.
    """
    allowed = earlier | (1 << cluster)
    out = []
    for node, side in steps:
        other = node.right if side == "left" else node.left
        if other.mask & ~allowed:  # type: ignore[union-attr]
            out.append((node, side))
    return out


def _n_columns(steps: list[tuple[_Node, str]]) -> int:
    return len({n.feature for n, _ in steps})


def _restore(steps: list[tuple[_Node, str]], kept: list[tuple[_Node, str]], cluster: int,
             budget: int) -> list[tuple[_Node, str]]:
    """Put dropped steps back while the path stays within ``budget`` columns.

    Keeping a droppable condition never changes what the rules do; it makes a rule read
    correctly on its own ("page_views_30d < 4 and avg_session_duration >= 210" rather than
    "page_views_30d < 4", which is only right because an earlier segment took the rest).
    Steps whose other side is this segment's own cluster stay dropped (the segment's other
    paths cover it). Steps on columns already kept go back first (free), then new columns
    from the top of the tree.
    """
    own = 1 << cluster

    def useful(node: _Node, side: str) -> bool:
        other = node.right if side == "left" else node.left
        return bool(other.mask & ~own)  # type: ignore[union-attr]

    kept_nodes = {n.id for n, _ in kept}
    cols = {n.feature for n, _ in kept}
    chosen = {i for i, (n, side) in enumerate(steps)
              if n.id in kept_nodes or (n.feature in cols and useful(n, side))}
    for i, (n, side) in enumerate(steps):
        if i in chosen or len(cols) >= budget or not useful(n, side):
            continue
        cols.add(n.feature)
        chosen |= {j for j, (m, sd) in enumerate(steps) if m.feature == n.feature and useful(m, sd)}
    return [st for i, st in enumerate(steps) if i in chosen]


def _best_order(paths, clusters: list[int], budget: int) -> list[int]:
    """Segment order that keeps rules short and readable (exact dynamic programme).

    Cost of a path given the clusters before it: 1000 per column beyond ``budget`` (must be
    avoided), 10 per column it can only leave out because of the order (the rule then reads
    broader than it acts), plus 1 per column it keeps. The last cluster is the default
    segment and costs nothing: the cluster hardest to describe becomes "everyone else".
    The cost of placing cluster c after the set E depends only on (c, E), so the best order
    is found over the 2^k subsets.
    """
    by_cluster: dict[int, list] = {c: [s for leaf, s in paths if leaf.cluster == c] for c in clusters}
    bits = {c: 1 << c for c in clusters}
    full = 0
    for c in clusters:
        full |= bits[c]

    def cost(c: int, earlier: int) -> int:
        if earlier | bits[c] == full:
            return 0
        total = 0
        for steps in by_cluster[c]:
            required = _n_columns(_kept(steps, c, earlier))
            every = _n_columns(_kept(steps, c, 0))  # all but steps whose other side is c
            kept = min(every, max(required, budget))
            total += 1000 * max(0, required - budget) + 10 * (every - kept) + kept
        return total

    best: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}
    for size in range(len(clusters)):
        layer = {m: v for m, v in best.items() if bin(m).count("1") == size}
        for mask, (score, order) in sorted(layer.items()):
            for c in clusters:
                if mask & bits[c]:
                    continue
                nxt = mask | bits[c]
                cand = (score + cost(c, mask), order + (c,))
                if nxt not in best or cand < best[nxt]:
                    best[nxt] = cand
    return list(best[full][1])


def _cut_violations(root: _Node, paths, order: list[int], budget: int,
                    classes: list[int]) -> int:
    """Turn into a leaf the node where a path would need a column beyond ``budget``."""
    rank = {c: i for i, c in enumerate(order)}
    cut_ids: set[int] = set()
    for leaf, steps in paths:
        earlier = 0
        for c in order[:rank[leaf.cluster]]:
            earlier |= 1 << c
        kept = _kept(steps, leaf.cluster, earlier)
        if _n_columns(kept) <= budget:
            continue
        seen: list[str] = []
        for node, _ in kept:
            if node.feature not in seen:
                if len(seen) == budget:
                    cut_ids.add(node.id)
                    break
                seen.append(node.feature)  # type: ignore[arg-type]
    if not cut_ids:
        return 0

    def rebuild(node: _Node) -> _Node:
        if node.leaf:
            return node
        if node.id in cut_ids:
            return _as_leaf(node, classes)
        node.left, node.right = rebuild(node.left), rebuild(node.right)  # type: ignore[arg-type]
        return _merge(node, classes)

    rebuild(root)
    return len(cut_ids)


def _bounds(kept: list[tuple[_Node, str]], infos: dict[str, ColumnInfo], rounded: bool,
            digits: int) -> list[Bound] | None:
    """Kept steps -> one :class:`Bound` per column (None when the ranges contradict)."""
    bounds: dict[str, Bound] = {}
    for node, side in kept:
        f = node.feature
        info = infos[f]  # type: ignore[index]
        b = bounds.setdefault(f, Bound(f))  # type: ignore[arg-type]
        t = float(node.threshold)  # type: ignore[arg-type]
        if info.sentinel is not None and t < info.min:
            if side == "left":
                if b.missing == "exclude":
                    return None
                b.missing, b.low, b.high = "only", None, None
            else:
                if b.missing == "only":
                    return None
                b.missing = "exclude"
            continue
        cut = round_cut(t, whole=info.whole, integer_valued=info.integer_valued, digits=digits) \
            if rounded else t
        if side == "left":
            if b.missing != "only":
                b.high = cut if b.high is None else min(b.high, cut)
        else:
            if b.missing == "only":
                return None
            b.low = cut if b.low is None else max(b.low, cut)
            b.missing = "exclude"
        if b.empty:
            return None
    return list(bounds.values())


def tree_rules(model, features: Sequence[str], infos: dict[str, ColumnInfo], *,
               max_conditions: int = 3, rounded: bool = True, digits: int = 2) -> "SegmentRules":
    """Ordered segment rules from a fitted tree (see the module docstring).

    1. same-cluster sibling leaves merge; 2. the segment order that keeps paths shortest is
    found; 3. a path still needing more than ``max_conditions`` columns is cut at the node
    that would add the extra column (the node becomes a leaf of its majority cluster), and
    1-3 repeat; 4. the last segment in the order needs no conditions: it is the default
    ("everyone else").
    """
    classes = [int(c) for c in np.asarray(model.classes_)]
    root = _structure(model, features)
    cuts = 0
    while True:
        paths = _leaf_paths(root)
        clusters = sorted({leaf.cluster for leaf, _ in paths})
        order = _best_order(paths, clusters, max_conditions)
        n_cut = _cut_violations(root, paths, order, max_conditions, classes)
        if not n_cut:
            break
        cuts += n_cut
    rank = {c: i for i, c in enumerate(order)}
    out: list[RulePath] = []
    seen: set[tuple] = set()
    unordered = 0
    for leaf, steps in paths:
        unordered = max(unordered, _n_columns(steps))
        earlier = 0
        for c in order[:rank[leaf.cluster]]:
            earlier |= 1 << c
        kept = _restore(steps, _kept(steps, leaf.cluster, earlier), leaf.cluster, max_conditions)
        bounds = _bounds(kept, infos, rounded, digits)
        if bounds is None:
            continue
        key = (leaf.cluster, tuple((b.column, b.low, b.high, b.missing) for b in bounds))
        if key in seen:
            continue
        seen.add(key)
        counts = np.asarray(leaf.counts, dtype=float)
        purity = float(counts.max() / counts.sum()) if counts.sum() > 0 else 0.0
        out.append(RulePath(bounds, leaf.cluster, leaf.rows, purity))
    default = order[-1] if order else None
    return SegmentRules(
        paths=[p for p in out if p.cluster != default], columns=dict(infos), clusters=order,
        default=default, leaves=count_leaves(model),
        settings={"max_conditions": max_conditions, "rounded": rounded, "digits": digits,
                  "unordered_max_conditions": unordered, "cut_nodes": cuts})


def count_leaves(model) -> int:
    tree = _sk_tree(model)
    return int((tree.children_left == -1).sum())


# --------------------------------------------------------------------------- metrics
def fidelity(rule_labels: np.ndarray, cluster_labels: np.ndarray) -> float:
    """Share of customers the rules put in the segment of their cluster (default = miss)."""
    return float(np.mean(np.asarray(rule_labels) == np.asarray(cluster_labels))) if len(rule_labels) else float("nan")


def coverage(rule_labels: np.ndarray) -> float:
    """Share of customers assigned to a non-default segment."""
    return float(np.mean(np.asarray(rule_labels) >= 0)) if len(rule_labels) else float("nan")


# --------------------------------------------------------------------------- distill
@dataclass
class Distillation:
    rules: SegmentRules
    grid: list[dict]           # validation fidelity per leaf budget tried
    leaves: int                # chosen leaf budget
    model: object = None       # the fitted imodels tree behind ``rules``


def leaf_grid(k: int) -> list[int]:
    """The leaf budgets tried for ``k`` clusters when none is given: ``[k, 1.5k, 2k, 3k]``."""
    return [k, (3 * k + 1) // 2, 2 * k, 3 * k]


def distill(frame: pl.DataFrame, labels: np.ndarray, clusters: Sequence[int], *,
            features: Sequence[str], fit_rows: np.ndarray, valid_rows: np.ndarray | None = None,
            leaves: int | Sequence[int] | None = None, max_conditions: int = 3, seed: int = 0,
            kind: str = "greedy", digits: int = 2, infos: dict[str, ColumnInfo] | None = None,
            tolerance: float = 0.005, workers: int = 1) -> Distillation:
    """Fit the tree on ``fit_rows`` and return rounded rules (see the module docstring).

    ``leaves``: one budget, or a grid; None = ``[k, 1.5k, 2k, 3k]``. With a grid, the smallest
    budget whose validation fidelity (rounded rules on ``valid_rows``) is within
    ``tolerance`` of the best wins: fewer paths are easier to read.
    """
    k = len(clusters)
    grid = leaf_grid(k) if leaves is None else \
        ([int(leaves)] if isinstance(leaves, (int, np.integer)) else [int(x) for x in leaves])
    infos = infos or column_infos(frame[fit_rows], features)
    X = tree_matrix(frame[fit_rows], infos)
    y = np.asarray(labels)[fit_rows]
    valid_frame = frame[valid_rows] if valid_rows is not None and len(grid) > 1 else None

    def one(budget: int):
        model = fit_tree(X, y, leaves=max(2, budget), seed=seed, features=features, kind=kind)
        rules = tree_rules(model, features, infos, max_conditions=max_conditions, digits=digits)
        rules.settings.update({"leaf_budget": budget, "kind": kind})
        fid = float("nan")
        if valid_frame is not None:
            fid = fidelity(rules.assign(valid_frame), np.asarray(labels)[valid_rows])
        return budget, fid, rules, model

    if workers > 1 and len(grid) > 1:
        from toolkit.segments.clustering import parallel_map

        results = parallel_map(one, grid, workers)
    else:
        results = [one(b) for b in grid]
    if len(results) == 1:
        budget, fid, rules, model = results[0]
    else:
        best = max(r[1] for r in results)
        budget, fid, rules, model = next(r for r in results if r[1] >= best - tolerance)
    grid_out = [{"leaves": b, "validation_fidelity": None if math.isnan(f) else round(f, 4),
                 "paths": len(r.paths), "max_conditions": r.max_conditions,
                 "cut_nodes": r.settings.get("cut_nodes", 0),
                 "chosen": b == budget} for b, f, r, _ in results]
    return Distillation(rules, grid_out, budget, model)


# --------------------------------------------------------------------------- goal
@dataclass
class GoalFacts:
    """What a run measured that bears on the distillation goal (all on held-out customers).

    ``tree_fidelity``: the fitted tree itself, before paths are cut to ``max_conditions``
    and before rounding; ``tree_conditions``: its longest path in columns; ``unrounded``:
    the ordered rules with exact thresholds; ``confusion``: the largest cluster ->
    rule-segment mix-up (from name, to name, share of held-out customers).
    """

    fidelity: float
    cost_ratio: float
    conditions: int
    max_conditions: int
    unrounded: float | None = None
    tree_fidelity: float | None = None
    tree_conditions: int | None = None
    tree_leaves: int | None = None
    confusion: tuple[str, str, float] | None = None
    deeper: tuple[int, int, float] | None = None   # a larger tree: (leaves, longest path, fidelity)


def tree_path_columns(model, features: Sequence[str]) -> int:
    """The most columns any root-to-leaf path of the fitted tree uses (no order, no cuts)."""
    return max((_n_columns(steps) for _, steps in _leaf_paths(_structure(model, features))), default=0)


def largest_confusion(rule_labels: np.ndarray, cluster_labels: np.ndarray,
                      names: dict[int, str]) -> tuple[str, str, float] | None:
    """The (cluster, rule segment) pair that holds the most misplaced customers, as
    (cluster name, segment name, share of all customers); None when nothing is misplaced."""
    r, c = np.asarray(rule_labels), np.asarray(cluster_labels)
    wrong = r != c
    if not len(r) or not wrong.any():
        return None
    pairs, counts = np.unique(np.stack([c[wrong], r[wrong]]), axis=1, return_counts=True)
    i = int(np.argmax(counts))
    a, b = int(pairs[0, i]), int(pairs[1, i])
    return names.get(a, f"cluster {a + 1}"), names.get(b, f"cluster {b + 1}"), float(counts[i] / len(r))


def goal(facts: GoalFacts) -> dict:
    """The distillation goal (``policy.TARGET_FIDELITY`` with at most ``GOAL_CONDITIONS``
    conditions per path, ``policy.TARGET_COST_RATIO``), whether this run reached it and, when
    not, a statement of the trade-off reached and which constraint binds, from measured facts.

    Why: the settings were tuned on the sample; on another table the goal may be out of reach
    for rules this short, and the user must be told so, not left to compare figures.
    """
    from toolkit.policy import TARGET_COST_RATIO, TARGET_FIDELITY

    f, cr = facts.fidelity, facts.cost_ratio
    fid_ok = f is not None and f >= TARGET_FIDELITY
    cost_ok = cr is not None and cr <= TARGET_COST_RATIO
    cond_ok = facts.conditions <= GOAL_CONDITIONS
    reached = bool(fid_ok and cost_ok and cond_ok)
    head = (f"fidelity {f:.3f} with at most {facts.conditions} conditions per path, "
            f"cost ratio {cr:.3f}")
    goal_text = (f"goal: fidelity >= {TARGET_FIDELITY} with <= {GOAL_CONDITIONS} conditions, "
                 f"cost ratio <= {TARGET_COST_RATIO}")
    if reached:
        statement = f"Goal reached: {head} ({goal_text})."
    else:
        why: list[str] = []
        if not cond_ok:
            why.append(f"paths use up to {facts.conditions} conditions (--max-conditions "
                       f"{facts.max_conditions}), more than {GOAL_CONDITIONS}")
        if not fid_ok:
            why.append(_fidelity_reason(facts, TARGET_FIDELITY))
        if not cost_ok:
            why.append(f"the rule segments are {cr - 1:.0%} less compact than the clusters "
                       f"(cost ratio above {TARGET_COST_RATIO})")
        statement = f"Goal not reached: {head} ({goal_text}). " + \
            " ".join(w[0].upper() + w[1:] + "." for w in why)
    return {"fidelity": TARGET_FIDELITY, "cost_ratio": TARGET_COST_RATIO,
            "max_conditions": GOAL_CONDITIONS, "reached": reached, "statement": statement}


#: conditions per rule path the goal allows (the brief's readability limit)
GOAL_CONDITIONS = 3


def _fidelity_reason(facts: GoalFacts, target: float) -> str:
    """Which constraint holds fidelity below ``target``: overlap, the condition limit or rounding."""
    tree, unrounded = facts.tree_fidelity, facts.unrounded
    mix = ""
    if facts.confusion is not None:
        a, b, share = facts.confusion
        mix = f" (largest mix-up: {share:.1%} of customers from '{a}' fall in '{b}')"
    if tree is not None and tree < target:
        text = (f"even the tree without the condition limit ({facts.tree_leaves} leaves, paths of up to "
                f"{facts.tree_conditions} conditions) reaches only {tree:.3f}{mix}")
        if facts.deeper is not None:
            leaves, conds, fid = facts.deeper
            if fid >= tree + 0.005:
                text += (f"; the size of the rules binds: a larger tree ({leaves} leaves, paths of up to "
                         f"{conds} conditions) reaches {fid:.3f}, as more and longer rules (--leaves "
                         f"{leaves} --max-conditions {conds}; more leaves alone, cut to "
                         f"{facts.max_conditions} conditions, do not help)")
            else:
                text += (f"; a larger tree ({leaves} leaves, paths of up to {conds} conditions) does no "
                         f"better ({fid:.3f}): the clusters overlap where no threshold on a single "
                         "column separates them")
        return text
    if tree is not None and unrounded is not None and tree - unrounded >= 0.005:
        return (f"the {GOAL_CONDITIONS}-condition limit binds: the tree with paths of up to "
                f"{facts.tree_conditions} conditions reaches {tree:.3f}, cutting its paths costs "
                f"{tree - unrounded:.3f}{mix}; --max-conditions {facts.tree_conditions} trades "
                "readability for fidelity")
    if unrounded is not None and unrounded >= target:
        return (f"rounding thresholds to readable values binds: exact thresholds give {unrounded:.3f}")
    return f"the rules reach {facts.fidelity:.3f}{mix}"
