"""Column roles: which columns of a customer table form segments and which describe them.

Why: segments should be built from what customers *do* (counts, money, days, rates) on any
table, not only on columns whose names match the sample's schema; who customers *are*
(country, device, tier, age) describes the segments afterwards, in their profiles.

Every column gets one role, with a reason recorded in segments.json (``roles``):

- ``segment``: numeric behaviour columns, clustered on;
- ``describe``: profile columns, shown as each segment's mix or compared per segment:
  text and categorical columns with few distinct values, booleans and 0/1 columns (a yes/no
  splits k-means into "has it / has not" clusters, so flags describe rather than form
  segments), and numeric columns named like demographics (age, gender, country, tier,
  channel, device, ... : see ``PROFILE_WORDS``);
- ``ignore``: the id and the target, constant or empty columns, identifiers (whole numbers
  that are all distinct and either named like an id or forming a run such as 1..n; text
  that is almost all distinct), dates (derive "days since" columns to use them).

The sample's schema (:mod:`toolkit.schema`) is one source of known roles, like a built-in
roles file: its behavioral, transactional and marketing columns segment and its profile
columns describe, in schema order. Columns it does not know are inferred from name and data,
in table order. A roles file (JSON or YAML, ``{"segment": [...], "describe": [...],
"ignore": [...], "id": ..., "target": ...}``) overrides both: a ``segment`` or ``describe``
list in it is complete (other columns inferred for that role are ignored, with the reason
"not in the roles file"); ``--features`` / ``--describe`` override the file the same way.
The file is read by :mod:`toolkit.data.roles_file`, shared with ``segkit train``.

The target (never clustered; segments' purchase rates) is ``--target``, else the roles
file's, else the one ``segkit train`` used in the same run folder (its metrics.json), else
the sample's ``purchased_next_30d``, else the one 0/1 column named like an outcome
(``OUTCOME_MARKS``: bought_within_30d, churned, converted_next_month, ...); a target found
by the last two rules is printed with the roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import polars as pl

from toolkit import schema
from toolkit.data.roles_file import ROLES_KEYS, RolesSpec, read_roles_file  # noqa: F401 (re-exported)
from toolkit.errors import DataError, SegkitError

SEGMENT, DESCRIBE, IGNORE = "segment", "describe", "ignore"

# name words (split on anything that is not a letter or digit) that mark a profile column
PROFILE_WORDS: frozenset[str] = frozenset({
    "age", "gender", "sex", "country", "region", "state", "city", "zip", "zipcode", "postcode",
    "postal", "tier", "channel", "device", "platform", "language", "locale", "cohort", "birth",
    "birthyear", "dob", "income", "education", "marital", "occupation", "household", "segment",
    "signup", "acquisition", "loyalty", "membership", "plan", "os", "browser", "source",
})
# name words that mark an identifier
ID_WORDS: frozenset[str] = frozenset({"id", "ids", "ref", "key", "uuid", "guid", "number", "no", "code"})
# parts of a name that mark an outcome (a 0/1 column so named is the target when none is given)
OUTCOME_MARKS: tuple[str, ...] = ("purchased", "bought", "converted", "churned", "next_", "within_")
MAX_DESCRIBE_LEVELS = 50        # text with more distinct values is an identifier or free text
_SAMPLE_ROLES = {"behavioral": SEGMENT, "transactional": SEGMENT, "marketing": SEGMENT,
                 "profile": DESCRIBE}


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[^0-9a-z]+", name.lower()) if w}


@dataclass
class Roles:
    """Every column's role and why; ``segment`` and ``describe`` in the order they are used."""

    segment: list[str]
    describe: list[str]
    ignore: list[str]
    reasons: dict[str, str] = field(default_factory=dict)
    id: str | None = None
    target: str | None = None
    source: str = "inferred"
    mix: list[str] = field(default_factory=list)       # describe columns shown as a mix of values
    compare: list[str] = field(default_factory=list)   # numeric columns compared per segment
    target_note: str | None = None   # where a target nobody named came from (see choose_target)

    def to_dict(self) -> dict:
        return {"segment": list(self.segment), "describe": list(self.describe), "ignore": list(self.ignore),
                "id": self.id, "target": self.target, "target_note": self.target_note,
                "source": self.source, "reasons": dict(self.reasons)}

    def summary_line(self) -> str:
        """"clustering on N columns: a, b; describing with M: c" (printed at the start), and on
        a second line the target when it was found rather than named."""
        n = len(self.segment)
        seg = f"clustering on {n} column{'' if n == 1 else 's'}: {', '.join(self.segment)}"
        desc = f"describing with {len(self.describe)}: {', '.join(self.describe)}" if self.describe else "describing with none"
        return f"{seg}; {desc}" + (f"\n{self.target_note}" if self.target_note else "")


def _infer_one(name: str, s: pl.Series) -> tuple[str, str]:
    """(role, reason) of a column nobody stated a role for."""
    dtype = s.dtype
    values = s.drop_nulls()
    if dtype.is_float():
        values = values.fill_nan(None).drop_nulls()
    if values.len() == 0:
        return IGNORE, "no values"
    distinct = values.n_unique()
    if distinct <= 1:
        return IGNORE, "constant"
    words = _words(name)
    if dtype == pl.Boolean:
        return DESCRIBE, "yes/no flag"
    if dtype.is_temporal():
        return IGNORE, "date or time (derive a days-since column to use it)"
    if not dtype.is_numeric():
        if distinct > MAX_DESCRIBE_LEVELS and distinct > 0.5 * values.len():
            return IGNORE, f"text with {distinct:,} distinct values (an identifier or free text)"
        return DESCRIBE, f"categorical ({distinct} values)"
    all_distinct = distinct == values.len()
    if dtype.is_integer() and all_distinct:
        lo, hi = int(values.min()), int(values.max())  # type: ignore[arg-type]
        if words & ID_WORDS or hi - lo + 1 == distinct:
            return IGNORE, "identifier (whole numbers, all distinct)"
    if words & ID_WORDS and distinct >= 0.95 * values.len():
        return IGNORE, "identifier (named like one, almost all distinct)"
    if distinct == 2 and is_zero_one(values):
        return DESCRIBE, "0/1 flag"
    if words & PROFILE_WORDS:
        return DESCRIBE, "profile (named like " + ", ".join(sorted(words & PROFILE_WORDS)) + ")"
    return SEGMENT, "numeric behaviour"


def is_zero_one(s: pl.Series) -> bool:
    """Whether a column holds exactly the two values 0 and 1 (or false and true), missing aside."""
    if s.dtype == pl.Boolean:
        return s.drop_nulls().n_unique() == 2
    if not s.dtype.is_numeric():
        return False
    values = s.cast(pl.Float64).fill_nan(None).drop_nulls()
    return set(values.unique().to_list()) == {0.0, 1.0}


def outcome_columns(frame: pl.DataFrame) -> list[str]:
    """The 0/1 columns whose name looks like an outcome (``OUTCOME_MARKS``), in table order."""
    return [name for name in frame.columns
            if any(mark in name.lower() for mark in OUTCOME_MARKS) and is_zero_one(frame.get_column(name))]


def trained_target(run_dir: str | Path) -> str | None:
    """The target ``segkit train`` recorded in ``run_dir``'s metrics.json, or None (no run, or
    a file that cannot be read: then the other rules of :func:`choose_target` decide)."""
    from toolkit.run.folder import Run

    try:
        metrics = Run(run_dir).metrics()
    except SegkitError:
        return None
    target = ((metrics or {}).get("training") or {}).get("target")
    return target if isinstance(target, str) and target else None


def choose_target(frame: pl.DataFrame, *, target: str | None = None, spec: RolesSpec | None = None,
                  run_dir: str | Path | None = None) -> tuple[str | None, str | None]:
    """(target, note): the outcome column, by the order in the module docstring. ``note`` is a
    line for the user when the target was found rather than named (None otherwise), so a
    0/1 outcome such as ``bought_within_30d`` is never clustered or shown as a profile."""
    named = target or (spec.target if spec is not None else None)   # --target wins over the file
    if named:
        return named, None
    if run_dir is not None:
        trained = trained_target(run_dir)
        if trained is not None and trained in frame.columns:
            if trained == schema.TARGET_COLUMN:
                return trained, None      # the sample's own target: found either way, nothing to say
            return trained, (f"target: {trained}, the target segkit train used in this run folder "
                             "(--target to choose another)")
    if schema.TARGET_COLUMN in frame.columns:
        return schema.TARGET_COLUMN, None
    found = outcome_columns(frame)
    if len(found) == 1:
        return found[0], (f"target: {found[0]}, the one 0/1 column named like an outcome (never "
                          "clustered; used for purchase rates; --target to choose another)")
    if len(found) > 1:
        return None, (f"no target: {len(found)} 0/1 columns are named like an outcome "
                      f"({', '.join(found)}); pass --target to use one")
    return None, None


def infer_roles(frame: pl.DataFrame, *, id_column: str | None = None, target: str | None = None,
                spec: RolesSpec | None = None, run_dir: str | Path | None = None) -> Roles:
    """Every column's role (see the module docstring). ``spec`` (a roles file and/or the
    ``--features`` / ``--describe`` options) wins over the schema and the inference; names
    it lists must exist (one error lists every unknown name). ``run_dir``: the run folder,
    whose metrics.json may name the target."""
    spec = spec or RolesSpec()
    id_column = id_column or spec.id          # an explicit id/target wins over the file's
    if id_column is None and schema.ID_COLUMN in frame.columns:
        id_column = schema.ID_COLUMN
    target, target_note = choose_target(frame, target=target, spec=spec, run_dir=run_dir)
    stated = [*(spec.segment or ()), *(spec.describe or ()), *spec.ignore]
    unknown = [n for n in dict.fromkeys(stated) if n not in frame.columns]
    if unknown:
        raise DataError(f"{spec.source}: no column {', '.join(map(repr, unknown))} in the table")

    known_order = {c.name: i for i, c in enumerate(schema.COLUMNS)}
    position = {c: i for i, c in enumerate(frame.columns)}
    order = sorted(frame.columns, key=lambda c: (known_order.get(c, len(known_order)), position[c]))
    role: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for name in order:
        col = schema.describe(name)
        if name == id_column:
            role[name], reasons[name] = IGNORE, "id"
        elif name == target:
            role[name], reasons[name] = IGNORE, "target"
        elif col is not None:
            role[name] = _SAMPLE_ROLES[col.group]
            reasons[name] = f"{col.group} column of the sample schema"
        else:
            role[name], reasons[name] = _infer_one(name, frame.get_column(name))
    for name in spec.ignore:
        role[name], reasons[name] = IGNORE, f"ignored by the {spec.source}"
    for key, listed in ((SEGMENT, spec.segment), (DESCRIBE, spec.describe)):
        if listed is None:
            continue
        for name in order:
            if role[name] == key and name not in listed:
                role[name], reasons[name] = IGNORE, f"not in the {spec.source}'s {key} list"
        for name in listed:
            role[name], reasons[name] = key, f"{key} in the {spec.source}"
    segment = list(spec.segment) if spec.segment is not None else [n for n in order if role[n] == SEGMENT]
    describe = list(spec.describe) if spec.describe is not None else [n for n in order if role[n] == DESCRIBE]
    ignore = [n for n in order if role[n] == IGNORE]
    source = "inferred" if spec.segment is None and spec.describe is None and not spec.ignore else spec.source

    def is_mix(name: str) -> bool:
        col = schema.describe(name)
        if col is not None:
            return col.is_categorical
        dtype = frame.schema[name]
        return dtype == pl.Boolean or not dtype.is_numeric() or reasons[name] == "0/1 flag"

    # profiles: describe columns with few values as a mix; every other numeric column that is
    # not the id, the target or unusable (constant, identifier) is compared per segment
    unusable = {n for n in ignore if not reasons[n].startswith("not in the")}
    mix = [n for n in describe if is_mix(n)]
    compare = [n for n in order if n not in unusable and n not in mix and frame.schema[n].is_numeric()
               and frame.schema[n] != pl.Boolean and reasons[n] != "0/1 flag"]
    return Roles(segment, describe, ignore, reasons, id_column, target, source, mix, compare, target_note)


def infer_id(frame: pl.DataFrame) -> str | None:
    """The one column that identifies customers (no missing value, all distinct, named like
    an id or a run of whole numbers), or None when there is not exactly one."""
    found = []
    for name, s in frame.to_dict().items():
        if s.null_count() or s.n_unique() != frame.height or frame.height < 2:
            continue
        if _words(name) & ID_WORDS or (s.dtype.is_integer() and _infer_one(name, s)[0] == IGNORE):
            found.append(name)
    return found[0] if len(found) == 1 else None


def sample_roles(columns: Iterable[str] | None = None) -> dict[str, list[str]]:
    """The sample schema's roles as a roles-file mapping (the schema is a built-in roles file)."""
    present = set(columns) if columns is not None else None
    out: dict[str, list[str]] = {SEGMENT: [], DESCRIBE: []}
    for c in schema.COLUMNS:
        if present is None or c.name in present:
            out[_SAMPLE_ROLES[c.group]].append(c.name)
    return out


def merge_spec(spec: RolesSpec | None, *, segment: Sequence[str] | None = None,
               describe: Sequence[str] | None = None) -> RolesSpec | None:
    """``spec`` with ``--features`` / ``--describe`` replacing its lists (options win)."""
    if segment is None and describe is None:
        return spec
    base = spec or RolesSpec()
    return RolesSpec(segment=tuple(segment) if segment is not None else base.segment,
                     describe=tuple(describe) if describe is not None else base.describe,
                     ignore=base.ignore, id=base.id, target=base.target,
                     source=f"{base.source} and options" if spec is not None else "options")
